//! SVG building blocks shared by the figures: document frame, axes, lines,
//! legends, tick placement and number formatting, XML escaping.

use super::*;

/// The opening tag, background and title.
pub(super) fn open(title: &str) -> String {
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

pub(super) fn close(mut out: String) -> String {
    out.push_str("</svg>");
    out
}

/// A valid figure with the title and "no data".
pub(super) fn no_data(title: &str) -> String {
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
pub(super) fn axes(
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
pub(super) fn diagonal(out: &mut String, frame: &Frame) {
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

pub(super) fn polyline(out: &mut String, frame: &Frame, points: &[(f64, f64)], colour: &str) {
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
pub(super) fn legend(out: &mut String, entries: &[(String, &str)]) {
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
pub(super) fn ticks(from: f64, to: f64, step: f64) -> Vec<f64> {
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
pub(super) fn nice_step(span: f64) -> f64 {
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
pub(super) fn decimals(ticks: &[f64]) -> usize {
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
pub(super) fn num(v: f64) -> String {
    fixed(v, 1)
}

/// `v` with `decimals` decimals, non-finite as 0 and without "-0".
pub(super) fn fixed(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// XML text and attribute escaping.
pub(super) fn escape(s: &str) -> String {
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
