//! Self-contained SVG figures for a model card: ROC curves, a reliability
//! diagram and a histogram of early-warning lead times.
//!
//! Pure text generation, no crates and no external references (no CDN, no
//! web fonts): every figure is [`WIDTH`]×[`HEIGHT`] px on a white background
//! in `sans-serif`, with a title. Text is XML-escaped, every number written
//! is finite (non-finite inputs are dropped), and empty input gives a valid
//! SVG saying "no data".

use std::fmt::Write as _;

use crate::metrics::auc;

/// Width of every figure in px.
pub const WIDTH: f64 = 640.0;
/// Height of every figure in px.
pub const HEIGHT: f64 = 420.0;
/// Left edge of the plot area in px.
pub const PLOT_LEFT: f64 = 60.0;
/// Right edge of the plot area in px.
pub const PLOT_RIGHT: f64 = 620.0;
/// Top edge of the plot area in px.
pub const PLOT_TOP: f64 = 40.0;
/// Bottom edge of the plot area in px.
pub const PLOT_BOTTOM: f64 = 370.0;

/// Line colours, cycled over the curves.
const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// Days of the reference line on the lead-time histogram.
const LEAD_REFERENCE_DAYS: f64 = 30.0;
/// At most this many histogram bars; a finer `bin_days` is widened.
const MAX_BARS: f64 = 200.0;

/// Data ranges of a plot, mapped onto the plot area
/// ([`PLOT_LEFT`]..[`PLOT_RIGHT`] × [`PLOT_BOTTOM`]..[`PLOT_TOP`], y up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Data x at the left edge.
    pub x_min: f64,
    /// Data x at the right edge.
    pub x_max: f64,
    /// Data y at the bottom edge.
    pub y_min: f64,
    /// Data y at the top edge.
    pub y_max: f64,
}

impl Frame {
    /// The unit square, as used by the ROC and calibration plots.
    pub const UNIT: Frame = Frame {
        x_min: 0.0,
        x_max: 1.0,
        y_min: 0.0,
        y_max: 1.0,
    };

    /// Pixel coordinates of the data point `(x, y)`, clamped to the plot
    /// area; a degenerate range or a non-finite value maps to the low edge.
    pub fn px(&self, x: f64, y: f64) -> (f64, f64) {
        let fx = unit(x, self.x_min, self.x_max);
        let fy = unit(y, self.y_min, self.y_max);
        (
            PLOT_LEFT + fx * (PLOT_RIGHT - PLOT_LEFT),
            PLOT_BOTTOM - fy * (PLOT_BOTTOM - PLOT_TOP),
        )
    }
}

/// `v` as a fraction of `lo..hi`, clamped to 0..=1; 0 when undefined.
fn unit(v: f64, lo: f64, hi: f64) -> f64 {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0 && v.is_finite()) {
        return 0.0;
    }
    ((v - lo) / span).clamp(0.0, 1.0)
}

/// One non-empty bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationBin {
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Observed share of positive labels in the bin.
    pub observed: f64,
    /// Number of scores in the bin.
    pub count: usize,
}

/// Equal-width bins over 0..=1 (scores clamped into range, 1.0 in the last
/// bin, `bins` at least 1), empty bins skipped, non-finite scores dropped.
pub fn calibration_bins(scores: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let bins = bins.max(1);
    let mut sum = vec![0.0; bins];
    let mut pos = vec![0usize; bins];
    let mut count = vec![0usize; bins];
    for (&s, &l) in scores.iter().zip(labels) {
        if !s.is_finite() {
            continue;
        }
        let s = s.clamp(0.0, 1.0);
        // s in 0..=1, so the cast is in range; 1.0 goes to the last bin.
        let b = ((s * bins as f64).floor() as usize).min(bins - 1);
        sum[b] += s;
        count[b] += 1;
        if l {
            pos[b] += 1;
        }
    }
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| CalibrationBin {
            mean_predicted: sum[b] / count[b] as f64,
            observed: pos[b] as f64 / count[b] as f64,
            count: count[b],
        })
        .collect()
}

/// ROC points `(FPR, TPR)` from (0, 0) to (1, 1), tied scores moving
/// together; pairs with non-finite scores dropped. A missing class keeps
/// its rate at 0. Empty when no pair remains.
pub fn roc_points(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .zip(labels)
        .filter(|(s, _)| s.is_finite())
        .map(|(&s, &l)| (s, l))
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = pairs.iter().filter(|p| p.1).count().max(1) as f64;
    let neg = pairs.iter().filter(|p| !p.1).count().max(1) as f64;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            if pairs[j].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        points.push((fp as f64 / neg, tp as f64 / pos));
        i = j;
    }
    points
}

/// A named ROC curve with its AUC.
type Curve<'a> = (&'a str, Vec<(f64, f64)>, f64);

/// ROC curves of several scorers (name, scores, labels) in distinct colours,
/// with the dashed chance diagonal and a legend giving each AUC
/// ([`crate::metrics::auc`] over the pairs with finite scores).
pub fn roc_svg(curves: &[(&str, &[f64], &[bool])]) -> String {
    let title = "ROC curves";
    let prepared: Vec<Curve> = curves
        .iter()
        .filter_map(|&(name, scores, labels)| {
            let (s, l): (Vec<f64>, Vec<bool>) = scores
                .iter()
                .zip(labels)
                .filter(|(s, _)| s.is_finite())
                .map(|(&s, &l)| (s, l))
                .unzip();
            let points = roc_points(&s, &l);
            (!points.is_empty()).then(|| (name, points, auc(&s, &l)))
        })
        .collect();
    if prepared.is_empty() {
        return no_data(title);
    }
    let frame = Frame::UNIT;
    let mut out = open(title);
    axes(
        &mut out,
        &frame,
        &ticks(0.0, 1.0, 0.2),
        &ticks(0.0, 1.0, 0.2),
        "False positive rate",
        "True positive rate",
    );
    diagonal(&mut out, &frame);
    for (k, (_, points, _)) in prepared.iter().enumerate() {
        polyline(&mut out, &frame, points, PALETTE[k % PALETTE.len()]);
    }
    let entries: Vec<(String, &str)> = prepared
        .iter()
        .enumerate()
        .map(|(k, (name, _, a))| {
            (
                format!("{name} (AUC {})", fixed(*a, 3)),
                PALETTE[k % PALETTE.len()],
            )
        })
        .collect();
    legend(&mut out, &entries);
    close(out)
}

/// Reliability diagram of one scorer: mean predicted probability against
/// the observed positive rate per equal-width bin ([`calibration_bins`]),
/// points sized by and labelled with their counts, and the dashed
/// perfect-calibration diagonal.
pub fn calibration_svg(name: &str, scores: &[f64], labels: &[bool], bins: usize) -> String {
    let title = format!("Calibration — {name}");
    let cal = calibration_bins(scores, labels, bins);
    if cal.is_empty() {
        return no_data(&title);
    }
    let frame = Frame::UNIT;
    let mut out = open(&title);
    axes(
        &mut out,
        &frame,
        &ticks(0.0, 1.0, 0.2),
        &ticks(0.0, 1.0, 0.2),
        "Mean predicted probability",
        "Observed default rate",
    );
    diagonal(&mut out, &frame);
    let colour = PALETTE[0];
    let points: Vec<(f64, f64)> = cal.iter().map(|b| (b.mean_predicted, b.observed)).collect();
    polyline(&mut out, &frame, &points, colour);
    let max_count = cal.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    out.push_str("<g>\n");
    for b in &cal {
        let (x, y) = frame.px(b.mean_predicted, b.observed);
        let r = 3.0 + 6.0 * (b.count as f64 / max_count).sqrt();
        let _ = writeln!(
            out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{colour}" fill-opacity="0.6" stroke="{colour}"/>"#,
            num(x),
            num(y),
            num(r)
        );
        // Labels sit above the point, or below it at the top edge.
        let ly = if y - r - 4.0 < PLOT_TOP + 10.0 {
            y + r + 12.0
        } else {
            y - r - 4.0
        };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="12">n={}</text>"#,
            num(x),
            num(ly),
            b.count
        );
    }
    out.push_str("</g>\n");
    let total: usize = cal.iter().map(|b| b.count).sum();
    legend(
        &mut out,
        &[(
            format!("{name} ({total} scores, {} bins)", bins.max(1)),
            colour,
        )],
    );
    close(out)
}

/// Histogram of early-warning lead times (days before the event) in bins of
/// `bin_days` (7 when not positive and finite; widened to at most 200 bars),
/// with a dashed line at 30 days and the median marked and annotated.
pub fn lead_time_svg(lead_days: &[f64], bin_days: f64) -> String {
    let title = "Early-warning lead time";
    let mut days: Vec<f64> = lead_days
        .iter()
        .copied()
        .filter(|d| d.is_finite())
        .collect();
    if days.is_empty() {
        return no_data(title);
    }
    days.sort_by(f64::total_cmp);
    let n = days.len();
    let median = if n % 2 == 1 {
        days[n / 2]
    } else {
        (days[n / 2 - 1] + days[n / 2]) / 2.0
    };
    let lo_data = days[0].min(0.0);
    let hi_data = days[n - 1].max(LEAD_REFERENCE_DAYS);
    let mut bin = if bin_days.is_finite() && bin_days > 0.0 {
        bin_days
    } else {
        7.0
    };
    if (hi_data - lo_data) / bin > MAX_BARS {
        bin = (hi_data - lo_data) / MAX_BARS;
    }
    let x_min = (lo_data / bin).floor() * bin;
    // One bar more when the maximum sits on a bin edge, so it is counted.
    let bars = (((hi_data - x_min) / bin).floor() as usize + 1).max(1);
    let x_max = x_min + bars as f64 * bin;
    let mut counts = vec![0usize; bars];
    for &d in &days {
        let b = (((d - x_min) / bin).floor().max(0.0) as usize).min(bars - 1);
        counts[b] += 1;
    }
    let max_count = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let y_step = nice_step(max_count);
    let y_max = (max_count / y_step).ceil() * y_step;
    let frame = Frame {
        x_min,
        x_max,
        y_min: 0.0,
        y_max,
    };
    let x_step = nice_step(x_max - x_min);
    let x_first = (x_min / x_step).ceil() * x_step;
    let mut out = open(title);
    axes(
        &mut out,
        &frame,
        &ticks(x_first, x_max, x_step),
        &ticks(0.0, y_max, y_step),
        "Lead time (days before delinquency)",
        "Customers",
    );
    out.push_str("<g fill=\"#1f77b4\" fill-opacity=\"0.75\" stroke=\"#ffffff\">\n");
    for (b, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let left = x_min + b as f64 * bin;
        let (x0, y0) = frame.px(left, c as f64);
        let (x1, y1) = frame.px(left + bin, 0.0);
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
            num(x0),
            num(y0),
            num(x1 - x0),
            num(y1 - y0)
        );
    }
    out.push_str("</g>\n");
    let (rx, _) = frame.px(LEAD_REFERENCE_DAYS, 0.0);
    let _ = writeln!(
        out,
        r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
        num(PLOT_TOP),
        num(PLOT_BOTTOM),
        x = num(rx)
    );
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" fill="#d62728" font-size="12">30 days</text>"##,
        num(rx + 4.0),
        num(PLOT_TOP + 12.0)
    );
    let (mx, _) = frame.px(median, 0.0);
    let _ = writeln!(
        out,
        r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#333333" stroke-width="1.5"/>"##,
        num(PLOT_TOP + 18.0),
        num(PLOT_BOTTOM),
        x = num(mx)
    );
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" fill="#333333" font-size="12">median {} days (n={n})</text>"##,
        num(mx + 4.0),
        num(PLOT_TOP + 30.0),
        fixed(median, 1)
    );
    close(out)
}

// ---------------------------------------------------------------- drawing

/// The opening tag, background and title.
fn open(title: &str) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#,
        w = WIDTH,
        h = HEIGHT
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="14" font-weight="bold">{}</text>"#,
        num(WIDTH / 2.0),
        escape(title)
    );
    out
}

fn close(mut out: String) -> String {
    out.push_str("</svg>");
    out
}

/// A valid figure with the title and "no data".
fn no_data(title: &str) -> String {
    let mut out = open(title);
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" text-anchor="middle" font-size="14" fill="#666666">no data</text>"##,
        num(WIDTH / 2.0),
        num(HEIGHT / 2.0)
    );
    close(out)
}

/// Plot frame, grid, ticks with labels, and axis titles.
fn axes(
    out: &mut String,
    frame: &Frame,
    x_ticks: &[f64],
    y_ticks: &[f64],
    x_label: &str,
    y_label: &str,
) {
    out.push_str("<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n");
    for &t in x_ticks {
        let (x, _) = frame.px(t, frame.y_min);
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            num(PLOT_TOP),
            num(PLOT_BOTTOM),
            x = num(x)
        );
    }
    for &t in y_ticks {
        let (_, y) = frame.px(frame.x_min, t);
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
            num(PLOT_LEFT),
            num(PLOT_RIGHT),
            y = num(y)
        );
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333333"/>"##,
        num(PLOT_LEFT),
        num(PLOT_TOP),
        num(PLOT_RIGHT - PLOT_LEFT),
        num(PLOT_BOTTOM - PLOT_TOP)
    );
    let x_dec = decimals(x_ticks);
    let y_dec = decimals(y_ticks);
    out.push_str("<g fill=\"#333333\" font-size=\"12\">\n");
    for &t in x_ticks {
        let (x, _) = frame.px(t, frame.y_min);
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#333333"/>"##,
            num(PLOT_BOTTOM),
            num(PLOT_BOTTOM + 5.0),
            x = num(x)
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            num(x),
            num(PLOT_BOTTOM + 18.0),
            fixed(t, x_dec)
        );
    }
    for &t in y_ticks {
        let (_, y) = frame.px(frame.x_min, t);
        let _ = writeln!(
            out,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#333333"/>"##,
            num(PLOT_LEFT - 5.0),
            num(PLOT_LEFT),
            y = num(y)
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            num(PLOT_LEFT - 8.0),
            num(y + 4.0),
            fixed(t, y_dec)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="13">{}</text>"#,
        num((PLOT_LEFT + PLOT_RIGHT) / 2.0),
        num(HEIGHT - 12.0),
        escape(x_label)
    );
    let cy = (PLOT_TOP + PLOT_BOTTOM) / 2.0;
    let _ = writeln!(
        out,
        r#"<text x="16" y="{cy}" text-anchor="middle" font-size="13" transform="rotate(-90 16 {cy})">{}</text>"#,
        escape(y_label),
        cy = num(cy)
    );
    out.push_str("</g>\n");
}

/// The dashed y = x line of the unit frame.
fn diagonal(out: &mut String, frame: &Frame) {
    let (x0, y0) = frame.px(frame.x_min, frame.y_min);
    let (x1, y1) = frame.px(frame.x_max, frame.y_max);
    let _ = writeln!(
        out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999999" stroke-width="1" stroke-dasharray="5 4"/>"##,
        num(x0),
        num(y0),
        num(x1),
        num(y1)
    );
}

fn polyline(out: &mut String, frame: &Frame, points: &[(f64, f64)], colour: &str) {
    let mut coords = String::new();
    for (k, &(x, y)) in points.iter().enumerate() {
        let (px, py) = frame.px(x, y);
        if k > 0 {
            coords.push(' ');
        }
        let _ = write!(coords, "{},{}", num(px), num(py));
    }
    let _ = writeln!(
        out,
        r#"<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>"#
    );
}

/// A boxed legend in the lower right of the plot area.
fn legend(out: &mut String, entries: &[(String, &str)]) {
    if entries.is_empty() {
        return;
    }
    let line = 18.0;
    let longest = entries
        .iter()
        .map(|e| e.0.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let width = (longest * 7.0 + 40.0).min(PLOT_RIGHT - PLOT_LEFT - 20.0);
    let height = entries.len() as f64 * line + 8.0;
    let left = PLOT_RIGHT - 10.0 - width;
    let top = PLOT_BOTTOM - 10.0 - height;
    out.push_str("<g font-size=\"12\">\n");
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>"##,
        num(left),
        num(top),
        num(width),
        num(height)
    );
    for (k, (text, colour)) in entries.iter().enumerate() {
        let y = top + 4.0 + line * (k as f64 + 0.5);
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="3"/>"#,
            num(left + 8.0),
            num(left + 28.0),
            y = num(y)
        );
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" fill="#222222">{}</text>"##,
            num(left + 34.0),
            num(y + 4.0),
            escape(text)
        );
    }
    out.push_str("</g>\n");
}

// ---------------------------------------------------------------- numbers

/// Tick positions `from, from + step, …` up to `to` (inclusive, with slack
/// for rounding); empty for a bad step.
fn ticks(from: f64, to: f64, step: f64) -> Vec<f64> {
    if !(step.is_finite() && step > 0.0 && from.is_finite() && to.is_finite()) {
        return Vec::new();
    }
    let n = ((to - from) / step + 1e-9).floor();
    if !(0.0..=1000.0).contains(&n) {
        return Vec::new();
    }
    (0..=n as usize).map(|k| from + k as f64 * step).collect()
}

/// A 1-2-5 step giving about five intervals over `span`.
fn nice_step(span: f64) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Decimals needed to tell the ticks apart (0..=3).
fn decimals(ticks: &[f64]) -> usize {
    (0..=3)
        .find(|&d| {
            let scale = 10f64.powi(d as i32);
            ticks
                .iter()
                .all(|t| ((t * scale).round() - t * scale).abs() < 1e-6)
        })
        .unwrap_or(3)
}

/// A pixel coordinate with one decimal; non-finite as 0.
fn num(v: f64) -> String {
    fixed(v, 1)
}

/// `v` with `decimals` decimals, non-finite as 0 and without "-0".
fn fixed(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// XML text and attribute escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
        assert!(
            svg.contains(r##"<line x1="228.0" y1="40.0" x2="228.0" y2="370.0" stroke="#d62728""##)
        );
        // Even count: median between the middle two.
        let svg = lead_time_svg(&[5.0, 15.0], 0.0);
        assert_valid(&svg);
        assert!(svg.contains("median 10.0 days (n=2)"));
        // A very fine bin is widened to at most 200 bars.
        let svg = lead_time_svg(&[0.0, 1000.0], 1e-9);
        assert_valid(&svg);
        assert!(svg.matches("<rect").count() <= 200 + 3);
    }
}
