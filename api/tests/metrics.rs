//! `/metrics` for an operator: after real traffic it has the HTTP, alert,
//! queue, decision, event-store, day-end, pool and read-side families, the
//! requests counted under their route templates (never a customer's id),
//! the shipped Grafana dashboard (`docs/grafana/early-risk.json`) asks only
//! for families that exist, and `promtool check metrics` (Debian's
//! `prometheus` package) finds nothing wrong with the text.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn promtool() -> Option<&'static str> {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("promtool");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "promtool is missing (apt-get install prometheus); CI must have it"
    );
    None
}

#[tokio::test]
async fn metrics_name_what_an_operator_watches_and_pass_promtool() {
    let app = spawn_app_with_read_side().await;
    app.register("C-M1").await;
    let r = app
        .post(
            "/v1/customers/C-M1/transactions",
            &transaction("T-M1", 1_000),
        )
        .await;
    assert_eq!(r.status(), 201);
    // Refused requests count too, under the route template.
    let anonymous = reqwest::Client::new()
        .get(format!("{}/v1/admin/customers/C-M1", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
    let unsigned = reqwest::Client::new()
        .post(format!("{}/v1/webhooks/whatsapp", app.base))
        .body("{}")
        .send()
        .await
        .expect("webhook");
    assert!(unsigned.status().as_u16() >= 400, "{}", unsigned.status());

    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for family in [
        "http_requests_total",
        "http_request_duration_seconds",
        "whatsapp_webhooks_total",
        "otp_requests_total",
        "otp_verifications_total",
        "otp_lockouts_total",
        "event_store_conflicts_total",
        "decision_recording_latency_seconds",
        "projection_events_behind",
        "projection_lag_seconds",
        "alerts",
        "alerts_suppressed",
        "alerts_failed",
        "alerts_delivery",
        "alert_send_latency_seconds",
        "alert_queue_depth",
        "alert_queue_oldest_due_age_seconds",
        "decisions_pending",
        "event_store_events_total",
        "day_end_last_finished_timestamp_seconds",
        "db_pool_connections",
        "db_pool_acquire_wait_seconds",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "no {family} in\n{text}"
        );
    }
    assert!(
        text.contains(
            "http_requests_total{route=\"/v1/customers/{customer_id}/transactions\",method=\"POST\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("http_requests_total{route=\"/v1/admin/customers/{customer_id}\",method=\"GET\",status=\"401\"} 1"),
        "{text}"
    );
    assert!(
        !text.contains("C-M1"),
        "a customer id became a label:\n{text}"
    );
    assert!(
        text.contains("whatsapp_webhooks_total{outcome=\"refused\"} 1"),
        "{text}"
    );
    assert!(text.contains("event_store_events_total "), "{text}");

    // The shipped Grafana dashboard asks only for families that exist.
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/grafana/early-risk.json"
        ))
        .expect("the dashboard"),
    )
    .expect("dashboard JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    for p in panels {
        for t in p["targets"].as_array().expect("targets") {
            let expr = t["expr"].as_str().expect("expr");
            assert!(
                families.iter().any(|f| expr.contains(f)),
                "panel {:?} asks for no exported family: {expr}",
                p["title"]
            );
        }
    }

    let Some(tool) = promtool() else {
        eprintln!("promtool not installed: the format check is skipped outside CI");
        return;
    };
    let mut child = Command::new(tool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool ran");
    assert!(
        out.status.success(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
