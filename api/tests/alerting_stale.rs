//! No messages about the past: importing a year of history into a live
//! server (read side, decision recorder, alert policy and dispatcher all
//! running, with the default 72-hour `ALERT_MAX_AGE` and the wall clock)
//! sends no risk alert — every escalation it causes is recorded as
//! suppressed with reason `stale` — while a live transaction afterwards
//! alerts as usual, once.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use serde_json::json;

/// Four text columns of `pg_stat_activity`.
type Session = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

/// Waits until scoring, the decision recorder and the alert policy have
/// handled everything in the log (each step may append events, so the head
/// is read again every time). All conditions are checked in one statement,
/// so on one snapshot: checked apart, a decision recorded between the
/// checkpoint check and the outbox check (its event committed, then its
/// outbox row deleted) would look settled before the policy saw it.
async fn settle(app: &TestApp) {
    // A year of history is imported before the first call: generous.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        let settled: bool = sqlx::query_scalar(
            // Behind means an event after the checkpoint in commit order,
            // `(tx_id, global_position)`: positions are handed out before
            // commit, so a projection that has read everything can still
            // sit below the largest position (an import's transaction took
            // it while a recorder's later one committed first).
            "SELECT (SELECT count(*) FROM projection_checkpoints \
                     WHERE name IN ('customer_features', 'alert_escalations', 'customer_alerts')) = 3 \
                AND NOT EXISTS (SELECT 1 FROM projection_checkpoints c, events e \
                                WHERE c.name IN ('customer_features', 'alert_escalations', 'customer_alerts') \
                                  AND (e.tx_id, e.global_position) > (c.tx_id, c.position)) \
                AND NOT EXISTS (SELECT 1 FROM decision_outbox WHERE last_error IS NULL)",
        )
        .fetch_one(&app.db.pool)
        .await
        .expect("settled");
        if settled {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let errors: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT name, position, last_error FROM projection_checkpoints ORDER BY name",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("checkpoints");
    let outbox: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT decision_id, last_error FROM decision_outbox LIMIT 5")
            .fetch_all(&app.db.pool)
            .await
            .expect("outbox");
    let head = count(app, "SELECT coalesce(max(global_position), 0) FROM events").await;
    // Who holds the log's reading horizon back: transactions with an id.
    let holders: Vec<Session> = sqlx::query_as(
        "SELECT datname::text, state, backend_xid::text, left(query, 160) FROM pg_stat_activity \
         WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("activity");
    eprintln!("transactions with an id: {holders:?}");
    let busy: Vec<Session> = sqlx::query_as(
        "SELECT state, wait_event_type || ':' || wait_event, (now() - state_change)::text, left(query, 200) \
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY state",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("activity");
    eprintln!(
        "pool size {} idle {}; sessions: {busy:?}",
        app.db.pool.size(),
        app.db.pool.num_idle()
    );
    panic!("the read side and the alert policy did not catch up: head {head}, {errors:?}, outbox {outbox:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_history_messages_nobody_and_a_live_transaction_alerts_once() {
    // Arrange: a live server with the default alert policy (72 h, wall clock).
    let app = spawn_app_with_read_side().await;
    let (inbox, _alerts) = local_alerts_with(&app, false, alerts::AlertPolicy::default());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("stale-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let history = dir.join("history.ndjson");
    let cfg = training::simulate::SimConfig {
        customers: 60,
        months: 12,
        seed: 7,
        start: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
        stressed_share: 0.4,
        ..Default::default()
    };
    training::simulate::write_ndjson(&cfg, std::fs::File::create(&history).expect("file"))
        .expect("simulate");

    // Act 1: import a year of 2025 history.
    let report = api::import::import_file(
        &app.state.customers,
        &history,
        500,
        false,
        chrono::Duration::minutes(5),
    )
    .await
    .expect("import");
    assert_eq!(report.rejected, 0, "{:?}", report.errors);
    settle(&app).await;

    // Assert 1: the history escalated customers, and none was messaged.
    let escalations = count(
        &app,
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed' \
           AND payload -> 'RiskAssessed' -> 'assessment' ->> 'band' = 'High' \
           AND payload -> 'RiskAssessed' ->> 'band_before' <> 'High'",
    )
    .await;
    assert!(escalations > 0, "the history escalates some customers");
    let stale = count(
        &app,
        "SELECT count(*) FROM events WHERE event_type = 'AlertSuppressed' \
           AND payload -> 'AlertSuppressed' ->> 'reason' = 'stale'",
    )
    .await;
    assert_eq!(stale, escalations, "every escalation is recorded as stale");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM events WHERE event_type = 'AlertRaised'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM customer_alerts WHERE suppressed_reason = 'stale'"
        )
        .await,
        stale,
        "the alerts view says why"
    );
    assert!(inbox.list(None, 1_000).is_empty(), "no message was sent");

    // Act 2: a customer opened a month ago spends 96 % of the limit now.
    let now = Utc::now();
    let mut reg = registration("LIVE-1");
    reg["phone"] = json!("+919811111111");
    reg["opened_at"] = json!(now - chrono::Duration::days(30));
    assert_eq!(app.post("/v1/customers", &reg).await.status(), 201);
    let mut tx = transaction("LIVE-T1", 9_600_000);
    tx["occurred_at"] = json!(now - chrono::Duration::minutes(1));
    let r = app.post("/v1/customers/LIVE-1/transactions", &tx).await;
    assert_eq!(r.status(), 201);
    settle(&app).await;
    for _ in 0..3_000 {
        if !inbox.list(Some("+919811111111"), 10).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Assert 2: exactly one message, to that customer.
    let sent = inbox.list(None, 1_000);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+919811111111");
    assert_eq!(sent[0].template, "risk_alert");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM events WHERE event_type = 'AlertRaised'"
        )
        .await,
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}
