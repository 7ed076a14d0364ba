//! The read side running inside the API process: new events reach the views
//! by themselves, and `/readyz` and `/metrics` show each projection's state.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

#[tokio::test]
async fn views_follow_ingest_and_lag_is_visible() {
    let app = spawn_app_with_read_side().await;
    app.register("C1").await;
    let resp = app
        .post("/v1/customers/C1/transactions", &transaction("T1", 2_500))
        .await;
    assert_eq!(resp.status(), 201);
    // Wait (bounded) for every runner, woken by the commit, to catch up:
    // each projection reads the whole log, so each has applied both events
    // (a Low first score asks for no decision, so nothing else is appended).
    let mut expected: Vec<&str> = projections::supervisor::PROJECTIONS.to_vec();
    expected.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        let ready: Value = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        let caught_up = ready["projections"].as_array().is_some_and(|ps| {
            let mut names: Vec<&str> = ps.iter().filter_map(|p| p["name"].as_str()).collect();
            names.sort_unstable();
            names == expected
                && ps
                    .iter()
                    .all(|p| p["events_behind"] == 0 && p["events_applied"] == 2)
        });
        if caught_up {
            break ready;
        }
        assert!(
            Instant::now() < deadline,
            "within 30 s, /readyz did not show every projection {expected:?} \
             caught up with the 2 events: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(ready["status"], "ready", "{ready}");
    let balance: i64 =
        sqlx::query_scalar("SELECT balance_minor FROM customer_overview WHERE customer_id = 'C1'")
            .fetch_one(&app.db.pool)
            .await
            .expect("overview row");
    assert_eq!(balance, 2_500);
    let txns: i64 =
        sqlx::query_scalar("SELECT count(*) FROM customer_transactions WHERE customer_id = 'C1'")
            .fetch_one(&app.db.pool)
            .await
            .expect("count");
    assert_eq!(txns, 1);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("projection_events_behind{projection=\"customer_features\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("projection_lag_seconds{projection=\"customer_overview\",quantile=\"0.99\"}"),
        "{metrics}"
    );
}
