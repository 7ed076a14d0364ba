//! The read side's figures in this process and what the database holds
//! (the same from every process).

use std::fmt::Write;
use std::time::Instant;

use sqlx::Row;

use super::super::problem::Problem;
use super::super::AppState;
use super::{family, histogram, label, Histogram, SEND_BUCKETS};

pub(super) async fn render_read_side(out: &mut String, state: &AppState) -> Result<(), Problem> {
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

pub(super) async fn render_database(out: &mut String, state: &AppState) -> Result<(), Problem> {
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
        "Suppressed alerts by reason (cooldown, stale, budget).",
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
