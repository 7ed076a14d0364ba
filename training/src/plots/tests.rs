//! Tests of the figures: well-formed XML, escaping, hand-computed pixel
//! coordinates, and "no data" for empty input.

use super::*;

/// Checks well-formedness as far as these figures need it: tags balance
/// on a stack, one root, attribute values quoted, `&` only in the five
/// predefined entities, no stray `<`/`>` in text. Returns the error.
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        if text.contains('>') {
            return Err(format!("stray '>' in text {text:?}"));
        }
        check_entities(text)?;
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.contains('<') {
            return Err(format!("'<' inside tag {tag:?}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag name in {tag:?}"));
        }
        if body.matches('"').count() % 2 == 1 {
            return Err(format!("unbalanced quotes in {tag:?}"));
        }
        check_entities(body)?;
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} roots"));
    }
    Ok(())
}

fn check_entities(s: &str) -> Result<(), String> {
    for (i, _) in s.match_indices('&') {
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .any(|e| s[i..].starts_with(e));
        if !ok {
            return Err(format!("bare '&' in {s:?}"));
        }
    }
    Ok(())
}

fn assert_valid(svg: &str) {
    assert!(
        svg.starts_with("<svg"),
        "start: {}",
        &svg[..svg.len().min(40)]
    );
    assert!(svg.ends_with("</svg>"), "end");
    if let Err(e) = well_formed(svg) {
        panic!("not well-formed: {e}\n{svg}");
    }
    let lower = svg.to_ascii_lowercase();
    assert!(!lower.contains("nan"), "NaN in {svg}");
    assert!(!lower.contains("inf"), "inf in {svg}");
    assert!(!svg.contains("http://") || svg.matches("http://").count() == 1);
    assert!(!svg.contains("https://"), "external reference");
    assert!(svg.contains(r#"width="640" height="420""#));
    assert!(svg.contains("font-family=\"sans-serif\""));
}

#[test]
fn checker_rejects_broken_xml() {
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg><g></g>").is_err());
    assert!(well_formed("<svg><text>a & b</text></svg>").is_err());
    assert!(well_formed("<svg><text>a < b</text></svg>").is_err());
    assert!(well_formed("<svg><text>a > b</text></svg>").is_err());
    assert!(well_formed("<svg/><svg/>").is_err());
    assert!(well_formed(r#"<svg a="1><g/></svg>"#).is_err());
    assert!(well_formed("<svg><text>a &amp; b</text><g/></svg>").is_ok());
}

#[test]
fn frame_maps_data_to_pixels() {
    assert_eq!(Frame::UNIT.px(0.0, 0.0), (PLOT_LEFT, PLOT_BOTTOM));
    assert_eq!(Frame::UNIT.px(1.0, 1.0), (PLOT_RIGHT, PLOT_TOP));
    assert_eq!(Frame::UNIT.px(0.5, 0.25), (340.0, 287.5));
    // Clamped, and undefined values go to the low edge.
    assert_eq!(Frame::UNIT.px(2.0, -1.0), (PLOT_RIGHT, PLOT_BOTTOM));
    assert_eq!(
        Frame::UNIT.px(f64::NAN, f64::INFINITY),
        (PLOT_LEFT, PLOT_BOTTOM)
    );
    let f = Frame {
        x_min: -10.0,
        x_max: 30.0,
        y_min: 0.0,
        y_max: 0.0,
    };
    assert_eq!(f.px(10.0, 5.0), (340.0, PLOT_BOTTOM));
}

#[test]
fn roc_perfect_separation_has_auc_one() {
    let scores = [0.9, 0.8, 0.2, 0.1];
    let labels = [true, true, false, false];
    let svg = roc_svg(&[("tree", &scores, &labels)]);
    assert_valid(&svg);
    assert!(svg.contains("tree (AUC 1.000)"), "{svg}");
    // The curve goes straight up then right.
    assert_eq!(
        roc_points(&scores, &labels),
        vec![(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)]
    );
    assert!(svg.contains("stroke-dasharray"), "diagonal");
    for t in ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] {
        assert!(svg.contains(&format!(">{t}</text>")), "tick {t}");
    }
}

#[test]
fn roc_several_scorers_distinct_colours_and_escaped_names() {
    let s1 = [0.9, 0.8, 0.2, 0.1];
    let s2 = [0.1, 0.2, 0.8, 0.9];
    let s3 = [0.5, 0.5, 0.5, 0.5];
    let l = [true, true, false, false];
    let svg = roc_svg(&[
        ("lr <v2> & co", &s1, &l),
        ("anti", &s2, &l),
        ("flat", &s3, &l),
    ]);
    assert_valid(&svg);
    assert!(svg.contains("lr &lt;v2&gt; &amp; co (AUC 1.000)"));
    assert!(svg.contains("anti (AUC 0.000)"));
    assert!(svg.contains("flat (AUC 0.500)"));
    assert_eq!(svg.matches("<polyline").count(), 3);
    for c in &PALETTE[..3] {
        assert!(
            svg.contains(&format!("stroke=\"{c}\" stroke-width=\"2\"")),
            "{c}"
        );
    }
}

#[test]
fn roc_drops_non_finite_scores_and_handles_one_class() {
    let s = [f64::NAN, 0.7, f64::INFINITY, 0.3];
    let l = [true, true, false, false];
    let svg = roc_svg(&[("x", &s, &l)]);
    assert_valid(&svg);
    assert!(svg.contains("x (AUC 1.000)"));
    let svg = roc_svg(&[("pos only", &[0.2, 0.4], &[true, true])]);
    assert_valid(&svg);
    assert!(svg.contains("pos only (AUC 0.500)"));
}

#[test]
fn empty_inputs_say_no_data() {
    for svg in [
        roc_svg(&[]),
        roc_svg(&[("empty", &[], &[])]),
        roc_svg(&[("nan", &[f64::NAN], &[true])]),
        calibration_svg("m", &[], &[], 10),
        calibration_svg("m", &[f64::NAN], &[true], 0),
        lead_time_svg(&[], 7.0),
        lead_time_svg(&[f64::NAN, f64::NEG_INFINITY], 7.0),
    ] {
        assert_valid(&svg);
        assert!(svg.contains(">no data</text>"), "{svg}");
        assert!(svg.contains("<title>"));
    }
}

#[test]
fn calibration_bins_and_pixels() {
    let scores = [0.1, 0.1, 0.3, 0.9, 0.9];
    let labels = [false, true, false, true, true];
    let bins = calibration_bins(&scores, &labels, 5);
    // Bins [0.2, 0.4) and [0.6, 0.8) hold nothing and are skipped.
    assert_eq!(bins.len(), 3);
    assert_eq!(bins[0].count, 2);
    assert!((bins[0].mean_predicted - 0.1).abs() < 1e-12);
    assert!((bins[0].observed - 0.5).abs() < 1e-12);
    assert_eq!(bins[1].count, 1);
    assert_eq!(bins[1].observed, 0.0);
    assert_eq!(bins[2].count, 2);
    assert_eq!(bins[2].observed, 1.0);
    // 1.0 lands in the last bin, out-of-range scores are clamped.
    let edge = calibration_bins(&[1.0, 1.5, -0.5], &[true, true, false], 4);
    assert_eq!(edge.iter().map(|b| b.count).collect::<Vec<_>>(), vec![1, 2]);

    let svg = calibration_svg("lr", &scores, &labels, 5);
    assert_valid(&svg);
    // 0.1 → 60 + 0.1·560 = 116; 0.5 → 370 − 0.5·330 = 205.
    assert!(svg.contains(r#"<circle cx="116.0" cy="205.0""#), "{svg}");
    // 0.3 → 228; observed 0 → 370.
    assert!(svg.contains(r#"<circle cx="228.0" cy="370.0""#));
    // 0.9 → 564; observed 1 → 40.
    assert!(svg.contains(r#"<circle cx="564.0" cy="40.0""#));
    assert_eq!(svg.matches("<circle").count(), 3);
    assert!(svg.contains(">n=2</text>") && svg.contains(">n=1</text>"));
    assert!(svg.contains("Calibration — lr"));
}

#[test]
fn lead_time_histogram_reference_line_and_median() {
    let days = [10.0, 20.0, 35.0, 40.0, 90.0];
    let svg = lead_time_svg(&days, 10.0);
    assert_valid(&svg);
    assert!(svg.contains("median 35.0 days (n=5)"), "{svg}");
    assert!(svg.contains(">30 days</text>"));
    // Bars 10–20, 20–30, 30–40, 40–50, 90–100 over 0..100 (one each).
    assert_eq!(svg.matches("<rect x=").count() - 2, 5, "{svg}");
    // The 30-day line at 60 + 0.3·560 = 228.
    assert!(svg.contains(r##"<line x1="228.0" y1="40.0" x2="228.0" y2="370.0" stroke="#d62728""##));
    // Even count: median between the middle two.
    let svg = lead_time_svg(&[5.0, 15.0], 0.0);
    assert_valid(&svg);
    assert!(svg.contains("median 10.0 days (n=2)"));
    // A very fine bin is widened to at most 200 bars.
    let svg = lead_time_svg(&[0.0, 1000.0], 1e-9);
    assert_valid(&svg);
    assert!(svg.matches("<rect").count() <= 200 + 3);
}
