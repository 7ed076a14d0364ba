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

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use sqlx::Row;

use super::problem::Problem;
use super::AppState;

/// Upper bounds (seconds) of the request-latency histogram's buckets.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Upper bounds (seconds) of the alert send-latency histogram's buckets.
const SEND_BUCKETS: [f64; 9] = [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
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

/// A label value, escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[f64], h: &Histogram) {
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

fn render_http(out: &mut String, m: &HttpMetrics) {
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
        commands::stats::conflicts()
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
        commands::stats::gave_up_after_conflicts()
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

async fn render_read_side(out: &mut String, state: &AppState) -> Result<(), Problem> {
    let projections = projections::runner::statuses(&state.pool).await?;
    family(
        out,
        "projection_events_behind",
        "gauge",
        "Committed events not yet projected.",
    );
    for p in &projections {
        let _ = writeln!(
            out,
            "projection_events_behind{{projection=\"{}\"}} {}",
            p.name, p.events_behind
        );
    }
    family(
        out,
        "projection_failed",
        "gauge",
        "1 when the projection stopped on an event it cannot apply.",
    );
    for p in &projections {
        let _ = writeln!(
            out,
            "projection_failed{{projection=\"{}\"}} {}",
            p.name,
            u8::from(p.last_error.is_some())
        );
    }
    family(out, "decision_recording_latency_seconds", "histogram", "From a risk decision being asked for (the scoring step's commit) to it being recorded, in this process.");
    let d = state.lag.decisions();
    let h = Histogram {
        buckets: d.buckets.to_vec(),
        sum: d.sum,
        count: d.count,
    };
    histogram(
        out,
        "decision_recording_latency_seconds",
        "",
        &projections::lag::DECISION_BUCKETS,
        &h,
    );
    family(out, "projection_lag_seconds", "summary", "Commit-to-projected latency in this process: quantiles over recent events, sum and count since start.");
    for p in &projections {
        if let Some(s) = state.lag.summary(&p.name) {
            let n = &p.name;
            let _ = writeln!(
                out,
                "projection_lag_seconds{{projection=\"{n}\",quantile=\"0.5\"}} {}",
                s.p50_ms / 1000.0
            );
            let _ = writeln!(
                out,
                "projection_lag_seconds{{projection=\"{n}\",quantile=\"0.99\"}} {}",
                s.p99_ms / 1000.0
            );
            let _ = writeln!(
                out,
                "projection_lag_seconds_sum{{projection=\"{n}\"}} {}",
                s.total_ms / 1000.0
            );
            let _ = writeln!(
                out,
                "projection_lag_seconds_count{{projection=\"{n}\"}} {}",
                s.total
            );
        }
    }
    Ok(())
}

async fn render_database(out: &mut String, state: &AppState) -> Result<(), Problem> {
    let pool = &state.pool;
    let by = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_all(pool)
            .await
            .map_err(Problem::from)
    };
    family(
        out,
        "alerts",
        "gauge",
        "Alerts by kind and status (raised, suppressed, sent, failed).",
    );
    for r in by("SELECT kind, status, count(*) AS n FROM customer_alerts GROUP BY kind, status ORDER BY 1, 2").await? {
        let (kind, status, n): (String, String, i64) = (r.try_get("kind")?, r.try_get("status")?, r.try_get("n")?);
        let _ = writeln!(out, "alerts{{kind=\"{}\",status=\"{}\"}} {n}", label(&kind), label(&status));
    }
    family(
        out,
        "alerts_suppressed",
        "gauge",
        "Suppressed alerts by reason (cooldown, stale).",
    );
    for r in by("SELECT coalesce(suppressed_reason, 'unknown') AS reason, count(*) AS n FROM customer_alerts \
                 WHERE status = 'suppressed' GROUP BY 1 ORDER BY 1").await? {
        let (reason, n): (String, i64) = (r.try_get("reason")?, r.try_get("n")?);
        let _ = writeln!(out, "alerts_suppressed{{reason=\"{}\"}} {n}", label(&reason));
    }
    family(
        out,
        "alerts_failed",
        "gauge",
        "Failed alerts by WhatsApp error code.",
    );
    for r in by(
        "SELECT coalesce(failed_code::text, 'none') AS code, count(*) AS n FROM customer_alerts \
                 WHERE status = 'failed' GROUP BY 1 ORDER BY 1",
    )
    .await?
    {
        let (code, n): (String, i64) = (r.try_get("code")?, r.try_get("n")?);
        let _ = writeln!(out, "alerts_failed{{code=\"{}\"}} {n}", label(&code));
    }
    family(
        out,
        "alerts_delivery",
        "gauge",
        "Sent alerts by the furthest delivery status WhatsApp reported.",
    );
    for r in by(
        "SELECT coalesce(delivery, 'none') AS delivery, count(*) AS n FROM customer_alerts \
                 WHERE status = 'sent' GROUP BY 1 ORDER BY 1",
    )
    .await?
    {
        let (d, n): (String, i64) = (r.try_get("delivery")?, r.try_get("n")?);
        let _ = writeln!(out, "alerts_delivery{{status=\"{}\"}} {n}", label(&d));
    }
    family(
        out,
        "alert_send_latency_seconds",
        "histogram",
        "Time from an alert being raised to WhatsApp accepting it.",
    );
    // Counted in the database, one row back, however many alerts were sent.
    let buckets: Vec<String> = SEND_BUCKETS
        .iter()
        .map(|b| format!("count(*) FILTER (WHERE s <= {b})::bigint"))
        .collect();
    let r = sqlx::query(&format!(
        "SELECT ARRAY[{}] AS buckets, coalesce(sum(s), 0)::float8 AS sum, count(*)::bigint AS count \
         FROM (SELECT extract(epoch FROM sent_at - raised_at)::float8 AS s FROM customer_alerts \
               WHERE sent_at IS NOT NULL AND sent_at >= raised_at) t",
        buckets.join(", ")
    ))
    .fetch_one(pool)
    .await?;
    let h = Histogram {
        buckets: r
            .try_get::<Vec<i64>, _>("buckets")?
            .into_iter()
            .map(|n| u64::try_from(n).unwrap_or(0))
            .collect(),
        sum: r.try_get("sum")?,
        count: u64::try_from(r.try_get::<i64, _>("count")?).unwrap_or(0),
    };
    histogram(out, "alert_send_latency_seconds", "", &SEND_BUCKETS, &h);
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, f64>(sql)
            .fetch_one(pool)
            .await
            .map_err(Problem::from)
    };
    family(
        out,
        "alert_queue_depth",
        "gauge",
        "Alerts waiting to be sent (pending in the outbox).",
    );
    let _ = writeln!(
        out,
        "alert_queue_depth {}",
        one("SELECT count(*)::float8 FROM alert_outbox WHERE state = 'pending'").await?
    );
    family(
        out,
        "alert_queue_oldest_due_age_seconds",
        "gauge",
        "How long the oldest due alert has waited (0 when none is due).",
    );
    let _ = writeln!(out, "alert_queue_oldest_due_age_seconds {}", one(
        "SELECT coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::float8 FROM alert_outbox \
         WHERE state = 'pending' AND next_attempt_at <= now()").await?);
    family(
        out,
        "decisions_pending",
        "gauge",
        "Risk decisions asked for and not yet recorded (the decision outbox), refused ones apart.",
    );
    for r in by("SELECT (last_error IS NOT NULL) AS refused, count(*) AS n FROM decision_outbox GROUP BY 1 ORDER BY 1").await? {
        let (refused, n): (bool, i64) = (r.try_get("refused")?, r.try_get("n")?);
        let _ = writeln!(out, "decisions_pending{{refused=\"{refused}\"}} {n}");
    }
    family(
        out,
        "event_store_events_total",
        "counter",
        "Events appended to the event store (its highest global position).",
    );
    let _ = writeln!(
        out,
        "event_store_events_total {}",
        one("SELECT coalesce(max(global_position), 0)::float8 FROM events").await?
    );
    family(
        out,
        "day_end_last_finished_timestamp_seconds",
        "gauge",
        "When the last finished day-end evaluation ended (Unix time; 0 before any).",
    );
    let _ = writeln!(
        out,
        "day_end_last_finished_timestamp_seconds {}",
        one("SELECT coalesce(extract(epoch FROM max(finished_at)), 0)::float8 FROM day_end_runs")
            .await?
    );
    family(
        out,
        "day_end_last_customers",
        "gauge",
        "Customers decided at the last finished day's end, and the decisions that were news.",
    );
    let last = sqlx::query("SELECT customers, decisions FROM day_end_runs WHERE finished_at IS NOT NULL ORDER BY day DESC LIMIT 1")
        .fetch_optional(pool)
        .await?;
    let (customers, decisions): (i64, i64) = match last {
        Some(r) => (r.try_get("customers")?, r.try_get("decisions")?),
        None => (0, 0),
    };
    let _ = writeln!(
        out,
        "day_end_last_customers{{counted=\"evaluated\"}} {customers}"
    );
    let _ = writeln!(
        out,
        "day_end_last_customers{{counted=\"decided\"}} {decisions}"
    );
    family(
        out,
        "db_pool_connections",
        "gauge",
        "This process's database connections, in use and idle.",
    );
    let (size, idle) = (pool.size(), pool.num_idle() as u32);
    // How long a query waits for a connection now: one acquire, timed at
    // each scrape (sqlx keeps no count of waiters).
    let started = Instant::now();
    let probe = pool.acquire().await?;
    let waited = started.elapsed().as_secs_f64();
    drop(probe);
    let _ = writeln!(
        out,
        "db_pool_connections{{state=\"in_use\"}} {}",
        size.saturating_sub(idle)
    );
    let _ = writeln!(out, "db_pool_connections{{state=\"idle\"}} {idle}");
    family(
        out,
        "db_pool_acquire_wait_seconds",
        "gauge",
        "How long taking a connection from this process's pool took at this scrape.",
    );
    let _ = writeln!(out, "db_pool_acquire_wait_seconds {waited}");
    family(
        out,
        "db_pool_max_connections",
        "gauge",
        "The pool's size limit.",
    );
    let _ = writeln!(
        out,
        "db_pool_max_connections {}",
        pool.options().get_max_connections()
    );
    Ok(())
}

/// The whole `/metrics` text.
pub async fn render(state: &AppState) -> Result<String, Problem> {
    let mut out = String::new();
    render_http(&mut out, &state.http_metrics);
    render_read_side(&mut out, state).await?;
    render_database(&mut out, state).await?;
    Ok(out)
}
