//! Alert figures against the WhatsApp fake at its default limits (80
//! messages/s per number), over real HTTP and a real PostgreSQL:
//! - dispatch rate: alerts already due, dispatcher started, until the fake
//!   has accepted every one;
//! - escalation latency: from a `RiskAssessed` escalation's commit to the
//!   fake receiving the message, at a steady 20 escalations/s.
//!
//! Run with `cargo bench -p api --bench alerts`; prints one JSON line.

#[path = "../tests/alerting/mod.rs"]
mod alerting;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use alerting::*;
use alerts::{AlertPolicy, DispatchConfig};
use whatsapp::fake::FakeConfig;

const DUE: u32 = 2_000;
const ESCALATIONS: u32 = 400;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench binaries too: only measure when
    // asked to (`cargo bench` passes `--bench`).
    if !std::env::args().any(|a| a == "--bench") {
        println!("alerts bench: run with `cargo bench -p api --bench alerts`");
        return;
    }
    let dispatch = DispatchConfig {
        poll: Duration::from_millis(50),
        ..DispatchConfig::default()
    };

    // 1. Dispatch rate.
    let h = harness(FakeConfig::default(), false).await;
    let policy = AlertPolicy {
        max_age: None,
        budget: domain::alert_budget::AlertBudget::of_share(1.0),
        ..AlertPolicy::default()
    };
    for n in 0..DUE {
        let id = format!("D-{n}");
        h.register(&id, n).await;
        h.raise(&id, &format!("A-{n}"), &policy).await;
    }
    let start = Instant::now();
    let runtime = h.start_alerts(
        policy.clone(),
        dispatch.clone(),
        h.cloud(Duration::from_secs(10)),
    );
    wait_for("all dispatched", Duration::from_secs(600), || async {
        messages(&h.fake) == DUE as usize
    })
    .await;
    let dispatch_secs = start.elapsed().as_secs_f64();
    runtime.stop().await;

    // 2. Escalation → message latency at a steady pace.
    let h = harness(FakeConfig::default(), false).await;
    for n in 0..ESCALATIONS {
        h.register(&format!("E-{n}"), n).await;
    }
    let runtime = h.start_alerts(policy, dispatch, h.cloud(Duration::from_secs(10)));
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    for n in 0..ESCALATIONS {
        tick.tick().await;
        let id = format!("E-{n}");
        h.execute(
            &id,
            high_decision(&format!("{id}:2"), "2026-02-03T10:00:00Z"),
        )
        .await;
    }
    wait_for(
        "all escalations messaged",
        Duration::from_secs(300),
        || async { messages(&h.fake) == ESCALATIONS as usize },
    )
    .await;
    runtime.stop().await;
    let committed: HashMap<String, SystemTime> =
        sqlx::query_as::<_, (String, chrono::DateTime<chrono::Utc>)>(
            "SELECT aggregate_id, recorded_at FROM events WHERE event_type = 'RiskAssessed'",
        )
        .fetch_all(&h.db.pool)
        .await
        .expect("decisions")
        .into_iter()
        .map(|(id, at)| (id, SystemTime::from(at)))
        .collect();
    let mut latencies: Vec<f64> = h
        .fake
        .messages()
        .iter()
        .filter_map(|m| {
            let n: u32 = m.to.trim_start_matches("+9198").parse().ok()?;
            let at = committed.get(&format!("E-{n}"))?;
            m.received_at
                .duration_since(*at)
                .ok()
                .map(|d| d.as_secs_f64() * 1e3)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "dispatch": {"alerts": DUE, "seconds": dispatch_secs, "alerts_per_sec": f64::from(DUE) / dispatch_secs},
            "escalation_to_fake_ms": {"n": latencies.len(), "p50": percentile(&latencies, 0.5),
                "p99": percentile(&latencies, 0.99), "max": percentile(&latencies, 1.0)},
        })
    );
}
