//! What this process counts at its route layer: requests by route template,
//! method and status, their latency, and what webhooks and sign-ins those
//! counts say.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{family, histogram, label, Histogram};

/// Upper bounds (seconds) of the request-latency histogram's buckets.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The HTTP figures of this process.
#[derive(Default)]
pub struct HttpMetrics {
    /// Sign-ins locked after too many wrong codes.
    lockouts: std::sync::atomic::AtomicU64,
    /// (route, method, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (route, method) → latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl HttpMetrics {
    /// Counts a sign-in locked after too many wrong codes.
    pub fn lockout(&self) {
        self.lockouts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn record(&self, route: String, method: String, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.clone(), method.clone(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry((route, method))
                .or_default()
                .observe(&HTTP_BUCKETS, seconds);
        }
    }

    fn requests(&self) -> BTreeMap<(String, String, u16), u64> {
        self.requests.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Counts a request under its route template (never the raw path: ids
/// would make a series per customer).
pub async fn track(State(metrics): State<Arc<HttpMetrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.record(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

pub(super) fn render_http(out: &mut String, m: &HttpMetrics) {
    family(
        out,
        "otp_lockouts_total",
        "counter",
        "Sign-ins locked after too many wrong one-time codes, in this process.",
    );
    let _ = writeln!(
        out,
        "otp_lockouts_total {}",
        m.lockouts.load(std::sync::atomic::Ordering::Relaxed)
    );
    family(
        out,
        "event_store_conflicts_total",
        "counter",
        "Appends that met a concurrent writer and were decided again, in this process.",
    );
    let _ = writeln!(
        out,
        "event_store_conflicts_total {}",
        store::stats::conflicts()
    );
    family(
        out,
        "event_store_conflicts_gave_up_total",
        "counter",
        "Commands answered 409 after every attempt met a concurrent writer, in this process.",
    );
    let _ = writeln!(
        out,
        "event_store_conflicts_gave_up_total {}",
        store::stats::gave_up_after_conflicts()
    );
    let requests = m.requests();
    family(
        out,
        "http_requests_total",
        "counter",
        "HTTP requests answered, by route template, method and status.",
    );
    for ((route, method, status), n) in &requests {
        let _ = writeln!(
            out,
            "http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
    family(
        out,
        "http_request_duration_seconds",
        "histogram",
        "Time to answer HTTP requests, by route template and method.",
    );
    let latency = m.latency.lock().map(|l| l.clone()).unwrap_or_default();
    for ((route, method), h) in &latency {
        let labels = format!("route=\"{}\",method=\"{method}\"", label(route));
        histogram(
            out,
            "http_request_duration_seconds",
            &labels,
            &HTTP_BUCKETS,
            h,
        );
    }
    // Webhooks and one-time codes, from the same counts.
    let count = |route: &str, ok: fn(u16) -> bool| -> u64 {
        requests
            .iter()
            .filter(|((r, m, s), _)| r == route && m == "POST" && ok(*s))
            .map(|(_, n)| n)
            .sum()
    };
    family(out, "whatsapp_webhooks_total", "counter", "WhatsApp status webhooks received: accepted, or refused (bad signature, too large, unreadable).");
    let hook = "/v1/webhooks/whatsapp";
    let _ = writeln!(
        out,
        "whatsapp_webhooks_total{{outcome=\"accepted\"}} {}",
        count(hook, |s| (200..300).contains(&s))
    );
    let _ = writeln!(
        out,
        "whatsapp_webhooks_total{{outcome=\"refused\"}} {}",
        count(hook, |s| s >= 400)
    );
    family(
        out,
        "otp_requests_total",
        "counter",
        "One-time sign-in code requests, by outcome (accepted, rate_limited, refused).",
    );
    let req = "/v1/auth/otp/request";
    let _ = writeln!(
        out,
        "otp_requests_total{{outcome=\"accepted\"}} {}",
        count(req, |s| (200..300).contains(&s))
    );
    let _ = writeln!(
        out,
        "otp_requests_total{{outcome=\"rate_limited\"}} {}",
        count(req, |s| s == 429)
    );
    let _ = writeln!(
        out,
        "otp_requests_total{{outcome=\"refused\"}} {}",
        count(req, |s| s >= 400 && s != 429)
    );
    family(out, "otp_verifications_total", "counter", "One-time code verifications, by outcome (signed_in, wrong_or_expired, locked_or_rate_limited, refused).");
    let ver = "/v1/auth/otp/verify";
    let _ = writeln!(
        out,
        "otp_verifications_total{{outcome=\"signed_in\"}} {}",
        count(ver, |s| (200..300).contains(&s))
    );
    let _ = writeln!(
        out,
        "otp_verifications_total{{outcome=\"wrong_or_expired\"}} {}",
        count(ver, |s| s == 401)
    );
    let _ = writeln!(
        out,
        "otp_verifications_total{{outcome=\"locked_or_rate_limited\"}} {}",
        count(ver, |s| s == 423 || s == 429)
    );
    let _ = writeln!(
        out,
        "otp_verifications_total{{outcome=\"refused\"}} {}",
        count(ver, |s| s >= 400 && ![401, 423, 429].contains(&s))
    );
}
