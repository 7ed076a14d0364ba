//! The features view equals the domain's reference computation over each
//! customer's full history, and a rebuild reproduces it exactly — through
//! its memory or through the tables, batch by batch, row for row.

mod common;

use std::sync::Arc;

use common::*;
use domain::features::{features_from_history, FEATURE_NAMES};
use domain::Customer;
use projections::lag::LagTracker;
use projections::rebuild::rebuild;
use projections::recorder::DecisionRecorder;
use projections::views::scoring::CustomerFeatures;
use projections::{Projection, ProjectionError, Runner, Tables};
use sqlx::Row;
use store::testing::fresh_database;
use store::PgEventStore;

#[tokio::test]
async fn projected_features_equal_the_reference_replay_and_survive_a_rebuild() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let head = write(&bus, portfolio(12)).await;
    let model = Arc::new(domain::risk::demo_artifact());
    Runner::new(
        CustomerFeatures::new(model.clone()),
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(9)
    .catch_up_to(head, 10_000)
    .await
    .expect("features");
    assert_eq!(assert_features_match_history(&db.pool).await, 12);
    let before = dump(&db.pool, "customer_features", "customer_id").await;
    rebuild(&db.pool, &CustomerFeatures::new(model), 1_000, false)
        .await
        .expect("rebuild");
    assert_eq!(
        before,
        dump(&db.pool, "customer_features", "customer_id").await
    );
}

/// The scoring projection rebuilt batch by batch through its tables alone,
/// with no rebuild memory: the reference a rebuild through memory must match.
struct ThroughTables(CustomerFeatures);

impl Projection for ThroughTables {
    const NAME: &'static str = CustomerFeatures::NAME;
    const TABLES: &'static [&'static str] = CustomerFeatures::TABLES;
    type RebuildMemory = ();

    fn apply(
        &self,
        tx: &mut sqlx::PgConnection,
        tables: &Tables,
        events: &[store::RecordedEvent],
    ) -> impl std::future::Future<Output = Result<(), ProjectionError>> + Send {
        self.0.apply(tx, tables, events)
    }
}

/// Every table of the scoring projection, as one text.
async fn scoring_tables(pool: &sqlx::PgPool) -> String {
    let mut out = String::new();
    for (table, order) in [
        ("customer_features", "customer_id"),
        ("customer_risk", "customer_id"),
        ("risk_history", "customer_id, sequence"),
    ] {
        out.push_str(&dump(pool, table, order).await);
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn a_rebuild_through_memory_writes_what_one_through_the_tables_writes() {
    // Arrange: a scored portfolio with recorded decisions, then more
    // behaviour, so late batches come back to customers seen long before.
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let model = Arc::new(domain::risk::demo_artifact());
    let head = write(&bus, portfolio(12)).await;
    let runner = Runner::new(
        CustomerFeatures::new(model.clone()),
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(50);
    runner.catch_up_to(head, 10_000).await.expect("scored");
    let recorder = DecisionRecorder::new(
        db.pool.clone(),
        bus.clone(),
        Arc::new(tokio::sync::Notify::new()),
    );
    while recorder.drain_once().await.expect("drain") > 0 {}
    let later = (0..12)
        .map(|c| {
            let id = format!("P{c:03}");
            let command = serde_json::from_value(serde_json::json!({
                "command": "record_transaction", "data": {
                "transaction_id": format!("{id}-late"), "amount_minor": 90_000 + c * 1_000,
                "currency": "INR", "kind": "cash_withdrawal", "merchant_category_code": null, "channel": "atm",
                "occurred_at": "2026-05-02T12:00:00Z"}}))
            .expect("command");
            let customer_id = domain::values::CustomerId::parse(&id).expect("id");
            (id, domain::customer::Addressed { customer_id, command })
        })
        .collect();
    let head = write(&bus, later).await;
    runner.catch_up_to(head, 10_000).await.expect("rescored");
    let decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'")
            .fetch_one(&db.pool)
            .await
            .expect("decisions");
    assert!(decisions > 0, "the log holds recorded decisions");

    // Act: the reference rebuild, one through memory, and one whose memory
    // holds 3 customers at most (written out and reread from the tables).
    let batch = 40;
    rebuild(
        &db.pool,
        &ThroughTables(CustomerFeatures::new(model.clone())),
        batch,
        false,
    )
    .await
    .expect("reference rebuild");
    let reference = scoring_tables(&db.pool).await;
    rebuild(
        &db.pool,
        &CustomerFeatures::new(model.clone()),
        batch,
        false,
    )
    .await
    .expect("rebuild through memory");
    let through_memory = scoring_tables(&db.pool).await;
    let small = CustomerFeatures::new(model).with_rebuild_memory(3);
    rebuild(&db.pool, &small, batch, false)
        .await
        .expect("rebuild through a small memory");
    let through_small_memory = scoring_tables(&db.pool).await;

    // Assert: the same rows, history included (one row per customer and
    // batch, so more rows than customers).
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM risk_history")
        .fetch_one(&db.pool)
        .await
        .expect("history");
    assert!(history > 24, "history rows: {history}");
    assert_eq!(through_memory, reference);
    assert_eq!(through_small_memory, reference);
}

/// One late transaction for each of the first `n` portfolio customers.
fn late_round(n: i64, round: i64) -> Vec<(String, domain::customer::Addressed)> {
    (0..n)
        .map(|c| {
            let id = format!("P{c:03}");
            let command = serde_json::from_value(serde_json::json!({
                "command": "record_transaction", "data": {
                "transaction_id": format!("{id}-late-{round}"), "amount_minor": 40_000 + round * 7_000 + c * 100,
                "currency": "INR", "kind": if round % 2 == 0 { "cash_withdrawal" } else { "purchase" },
                "merchant_category_code": if round % 2 == 0 { None } else { Some("5411") },
                "channel": if round % 2 == 0 { "atm" } else { "pos" },
                "occurred_at": format!("2026-05-{:02}T12:00:00Z", 2 + round)}}))
            .expect("command");
            let customer_id = domain::values::CustomerId::parse(&id).expect("id");
            (id, domain::customer::Addressed { customer_id, command })
        })
        .collect()
}

/// Every customer's projected features and as-of time against the domain's
/// replay of its whole history, bit for bit; returns how many rows there are.
async fn assert_features_match_history(pool: &sqlx::PgPool) -> usize {
    let store = PgEventStore::<Customer>::new(pool.clone());
    let rows = sqlx::query("SELECT * FROM customer_features ORDER BY customer_id")
        .fetch_all(pool)
        .await
        .expect("rows");
    for row in &rows {
        let id: String = row.get("customer_id");
        let (history, as_of) = history(&store, &id).await;
        assert_eq!(row.get::<chrono::DateTime<chrono::Utc>, _>("as_of"), as_of);
        let expected = features_from_history(&history, as_of).to_vec();
        for (name, want) in FEATURE_NAMES.iter().zip(expected) {
            let got: f64 = row.get(*name);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{id} {name}: projected {got}, replayed {want}"
            );
        }
    }
    rows.len()
}

#[tokio::test]
async fn a_runner_keeping_its_states_in_memory_rereads_them_after_another_process_wrote() {
    // Two runners of the scoring projection, as in two processes: each keeps
    // the states its steps wrote, and must drop them when the other one has
    // applied batches in between.
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let model = Arc::new(domain::risk::demo_artifact());
    let runner = |pool: &sqlx::PgPool| {
        Runner::new(
            CustomerFeatures::new(model.clone()),
            pool.clone(),
            Arc::new(LagTracker::default()),
        )
        .with_batch(1_000)
    };
    let (here, there) = (runner(&db.pool), runner(&db.pool));
    let head = write(&bus, portfolio(12)).await;
    here.catch_up_to(head, 10_000).await.expect("here");
    // `there` applies a round of late behaviour for every customer …
    let head = write(&bus, late_round(12, 1)).await;
    there.catch_up_to(head, 10_000).await.expect("there");
    // … and `here` the next round: on states it held from before the
    // first round, unless it notices the other wrote and rereads them.
    let head = write(&bus, late_round(12, 2)).await;
    here.catch_up_to(head, 10_000).await.expect("here again");
    assert_eq!(assert_features_match_history(&db.pool).await, 12);
    // Its own steps in a row go on from memory and stay right.
    for round in 3..6 {
        let head = write(&bus, late_round(12, round)).await;
        here.catch_up_to(head, 10_000)
            .await
            .expect("here, in a row");
    }
    assert_features_match_history(&db.pool).await;
}
