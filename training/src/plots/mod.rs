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

mod svg;
#[cfg(test)]
mod tests;

use svg::*;
