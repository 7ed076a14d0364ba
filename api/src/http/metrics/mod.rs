//! What `GET /metrics` says, in the Prometheus text format (0.0.4), with
//! Prometheus naming (base units, `_total` counters, histograms with
//! `_bucket`/`_sum`/`_count`):
//!
//! - HTTP, counted in this process by a route layer: requests by route
//!   template, method and status, and their latency as a histogram; from the
//!   same counts, WhatsApp webhooks received and refused, and one-time-code
//!   requests and verifications by outcome.
//! - Read side, in this process: each projection's backlog, failure flag and
//!   commit-to-projected latency (a summary over recent events, with the
//!   totals since start), and how long decisions wait to be recorded.
//! - Writes, in this process: append conflicts retried, commands that gave
//!   up after conflicts, sign-ins locked.
//! - From the database (so every process says the same): alerts by kind and
//!   status, suppressions by reason, failures by WhatsApp code, delivery
//!   states, alert send latency, the alert queue and the age of its oldest
//!   due alert, decisions waiting to be recorded, events stored, the last
//!   day-end evaluation; and this process's connection pool.
//!
//! # Layout
//! - `requests`: what this process counts at its route layer (requests,
//!   latency, webhooks, sign-ins).
//! - `stored`: the read side's figures and what the database holds.

mod requests;
mod stored;

use std::fmt::Write;

pub use requests::{track, HttpMetrics};

use super::problem::Problem;
use super::AppState;

/// Upper bounds (seconds) of the alert send-latency histogram's buckets.
pub(super) const SEND_BUCKETS: [f64; 9] =
    [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0];

/// Cumulative bucket counts, their sum and count.
#[derive(Clone, Debug, Default)]
pub(super) struct Histogram {
    pub(super) buckets: Vec<u64>,
    pub(super) sum: f64,
    pub(super) count: u64,
}

impl Histogram {
    pub(super) fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; bounds.len()];
        }
        for (b, bound) in self.buckets.iter_mut().zip(bounds) {
            if v <= *bound {
                *b += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }
}

/// A label value, escaped.
pub(super) fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(super) fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub(super) fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[f64], h: &Histogram) {
    let sep = if labels.is_empty() { "" } else { "," };
    for (bound, n) in bounds.iter().zip(&h.buckets) {
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(out, "{name}_sum{braces} {}", h.sum);
    let _ = writeln!(out, "{name}_count{braces} {}", h.count);
}

/// The whole `/metrics` text.
pub async fn render(state: &AppState) -> Result<String, Problem> {
    let mut out = String::new();
    requests::render_http(&mut out, &state.http_metrics);
    stored::render_read_side(&mut out, state).await?;
    stored::render_database(&mut out, state).await?;
    Ok(out)
}
