//! Scoring as a projection: every change is scored with the same domain code
//! an auditor would use, decisions are requested only on a change of band or
//! a newly fired rule, recorded once on the customer's stream, and a rebuild
//! never re-decides history.

mod common;

use std::sync::Arc;

use common::*;
use domain::features::features_from_history;
use domain::risk::{assess, demo_artifact};
use domain::Customer;
use projections::lag::LagTracker;
use projections::rebuild::rebuild;
use projections::recorder::DecisionRecorder;
use projections::views::scoring::CustomerFeatures;
use projections::Runner;
use sqlx::Row;
use store::testing::fresh_database;
use store::PgEventStore;

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn scores_decisions_and_their_recording() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let model = Arc::new(demo_artifact());
    let head = write(&bus, portfolio(12)).await;
    let runner = Runner::new(
        CustomerFeatures::new(model.clone()),
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(50);
    runner.catch_up_to(head, 10_000).await.expect("scored");

    // The latest score of each customer is the domain's assessment of its
    // full history, bit for bit.
    let store = PgEventStore::<Customer>::new(db.pool.clone());
    let rows =
        sqlx::query("SELECT customer_id, score, band FROM customer_risk ORDER BY customer_id")
            .fetch_all(&db.pool)
            .await
            .expect("rows");
    assert_eq!(rows.len(), 12);
    for row in &rows {
        let id: String = row.get("customer_id");
        let (history, as_of) = history(&store, &id).await;
        let expected = assess(&model, &features_from_history(&history, as_of));
        assert_eq!(
            row.get::<f64, _>("score").to_bits(),
            expected.scores.ensemble.to_bits(),
            "{id}"
        );
        assert_eq!(
            row.get::<String, _>("band"),
            format!("{:?}", expected.band),
            "{id}"
        );
    }

    // Decisions were requested only for customers not at Low without rules.
    let requested = count(&db.pool, "SELECT count(*) FROM decision_outbox").await;
    let not_quiet = count(
        &db.pool,
        "SELECT count(*) FROM customer_risk WHERE band <> 'Low' OR cardinality(fired_rules) > 0",
    )
    .await;
    assert!(
        requested >= not_quiet && not_quiet > 0,
        "requested {requested}, not quiet {not_quiet}"
    );

    // The recorder turns each request into exactly one RiskAssessed event.
    let recorder = DecisionRecorder::new(
        db.pool.clone(),
        bus.clone(),
        Arc::new(tokio::sync::Notify::new()),
    );
    while recorder.drain_once().await.expect("drain") > 0 {}
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM decision_outbox").await,
        0
    );
    let recorded = count(
        &db.pool,
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    assert_eq!(recorded, requested);

    // Replaying a request (a crash before its row was deleted) records nothing.
    let decision: serde_json::Value =
        sqlx::query_scalar("SELECT payload FROM events WHERE event_type = 'RiskAssessed' LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .expect("a decision");
    let assessment = decision["RiskAssessed"]["assessment"].clone();
    let customer = assessment["decision_id"]
        .as_str()
        .and_then(|d| d.split(':').next())
        .expect("id")
        .to_owned();
    sqlx::query(
        "INSERT INTO decision_outbox (decision_id, customer_id, command) VALUES ($1, $2, $3)",
    )
    .bind(assessment["decision_id"].as_str())
    .bind(&customer)
    .bind(&assessment)
    .execute(&db.pool)
    .await
    .expect("replayed request");
    while recorder.drain_once().await.expect("drain") > 0 {}
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'"
        )
        .await,
        recorded
    );

    // Once the decisions are folded back, nothing new is asked for.
    let head = count(&db.pool, "SELECT max(global_position) FROM events").await;
    runner
        .catch_up_to(head, 10_000)
        .await
        .expect("folded decisions");
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM decision_outbox").await,
        0
    );
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM customer_risk WHERE recorded_band <> band"
        )
        .await,
        0
    );

    // A rebuild recomputes the views but requests no decision.
    let before = dump(&db.pool, "customer_risk", "customer_id").await;
    rebuild(&db.pool, &CustomerFeatures::new(model), 1_000, false)
        .await
        .expect("rebuild");
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM decision_outbox").await,
        0
    );
    let after = dump(&db.pool, "customer_risk", "customer_id").await;
    assert_eq!(strip_requests(&before), strip_requests(&after));
}

/// customer_risk rows without the "requested" columns (a rebuild has no
/// requests in flight).
fn strip_requests(dump: &str) -> Vec<String> {
    dump.lines()
        .map(|l| l.split(',').take(10).collect::<Vec<_>>().join(","))
        .collect()
}
