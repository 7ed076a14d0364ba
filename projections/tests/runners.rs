//! Projection runners on a real PostgreSQL: incremental projection equals a
//! rebuild from the log, two runners never double-apply, a poison event stops
//! the projection visibly, and the views hold hand-checked values.

mod common;

use std::sync::Arc;

use common::*;
use projections::lag::LagTracker;
use projections::rebuild::rebuild;
use projections::runner::statuses;
use projections::views::activity::CustomerActivity;
use projections::views::overview::CustomerOverview;
use projections::Runner;
use store::testing::fresh_database;

#[tokio::test]
async fn incremental_projection_and_rebuild_give_identical_tables() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let head = write(&bus, portfolio(25)).await;
    let lag = Arc::new(LagTracker::default());
    // Small batches, so batch boundaries fall everywhere.
    let overview = Runner::new(CustomerOverview, db.pool.clone(), lag.clone()).with_batch(7);
    let activity = Runner::new(CustomerActivity, db.pool.clone(), lag.clone()).with_batch(13);
    overview.catch_up_to(head, 10_000).await.expect("overview");
    activity.catch_up_to(head, 10_000).await.expect("activity");
    let before = (
        dump(&db.pool, "customer_overview", "customer_id").await,
        dump(&db.pool, "customer_transactions", "customer_id, sequence").await,
        dump(&db.pool, "customer_statements", "customer_id, period").await,
        dump(&db.pool, "customer_corrections", "customer_id, sequence").await,
    );
    assert!(
        before.0.lines().count() == 25 && before.1.lines().count() == 25 * 12,
        "views were filled"
    );
    assert!(
        ["reversal", "returned_payment", "statement_correction"]
            .iter()
            .all(|k| before.3.contains(k)),
        "every kind of correction is in the portfolio: {}",
        before.3
    );
    let r1 = rebuild(&db.pool, &CustomerOverview, 1_000, false)
        .await
        .expect("rebuild overview");
    let r2 = rebuild(&db.pool, &CustomerActivity, 1_000, false)
        .await
        .expect("rebuild activity");
    assert_eq!(r1.events, r2.events);
    let after = (
        dump(&db.pool, "customer_overview", "customer_id").await,
        dump(&db.pool, "customer_transactions", "customer_id, sequence").await,
        dump(&db.pool, "customer_statements", "customer_id, period").await,
        dump(&db.pool, "customer_corrections", "customer_id, sequence").await,
    );
    assert_eq!(before, after);
    // The live runner carries on from the rebuilt checkpoint.
    let more = write(
        &bus,
        portfolio(27)
            .into_iter()
            .filter(|(id, _)| id.as_str() >= "P025")
            .collect(),
    )
    .await;
    overview
        .catch_up_to(more, 10_000)
        .await
        .expect("overview after rebuild");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_overview")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 27);
    assert!(lag.summary("customer_overview").is_some());
}

#[tokio::test]
async fn two_runners_of_one_projection_never_apply_a_batch_twice() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let head = write(&bus, portfolio(20)).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    let second_pool = store::db::connect(&db.url, 5).await.expect("second pool");
    let lag = Arc::new(LagTracker::default());
    let a = Arc::new(Runner::new(CustomerActivity, db.pool.clone(), lag.clone()).with_batch(5));
    let b = Arc::new(Runner::new(CustomerActivity, second_pool, lag).with_batch(5));
    let (ra, rb) = tokio::join!(
        {
            let a = a.clone();
            async move { a.catch_up_to(head, 10_000).await }
        },
        {
            let b = b.clone();
            async move { b.catch_up_to(head, 10_000).await }
        }
    );
    ra.expect("runner a");
    rb.expect("runner b");
    let status = statuses(&db.pool).await.expect("statuses");
    let activity = status
        .iter()
        .find(|s| s.name == "customer_activity")
        .expect("checkpoint row");
    assert_eq!(
        activity.events_applied, total,
        "every event applied exactly once"
    );
    assert_eq!(activity.events_behind, 0);
    let txns: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_transactions")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(txns, 20 * 12);
}

#[tokio::test]
async fn an_event_that_cannot_be_projected_stops_the_projection_visibly() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    write(&bus, portfolio(2)).await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, hash) \
         VALUES ('customer', 'P000', 1000, 'TransactionRecorded', '1', '{\"Nonsense\": 1}', '\\x00')",
    )
    .execute(&db.pool)
    .await
    .expect("poison");
    let head = write(
        &bus,
        portfolio(3)
            .into_iter()
            .filter(|(id, _)| id == "P002")
            .collect(),
    )
    .await;
    let runner = Runner::new(
        CustomerOverview,
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(1_000);
    let (tx, rx) = tokio::sync::watch::channel(false);
    // `run` returns by itself when it meets the poison event.
    runner.run(rx).await;
    drop(tx);
    let status = statuses(&db.pool).await.expect("statuses");
    let overview = status
        .iter()
        .find(|s| s.name == "customer_overview")
        .expect("row");
    assert!(
        overview
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("unknown variant"),
        "{overview:?}"
    );
    let before: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM customer_overview WHERE customer_id IN ('P000', 'P001')",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(before, 2, "everything before the poison event was applied");
    assert!(
        overview.events_behind > 0,
        "the poison event and those after it stay unprojected"
    );
    let p002: i64 =
        sqlx::query_scalar("SELECT count(*) FROM customer_overview WHERE customer_id = 'P002'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(p002, 0, "nothing after the poison event was applied");
    assert!(head > 0);
}

#[tokio::test]
async fn the_overview_holds_balance_and_utilisation() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let items: Vec<_> = portfolio(2)
        .into_iter()
        .filter(|(id, _)| id == "P001")
        .collect();
    // Hand-computed from the generator: the expected balance is the sum of
    // debits minus refunds minus payments, less what was reversed (the
    // portfolio reverses purchases only) and plus payments returned.
    let mut expected = 0i64;
    let mut payments = std::collections::HashMap::new();
    for (_, a) in &items {
        match &a.command {
            domain::CustomerCommand::RecordTransaction(t) if t.kind.is_debit() => {
                expected += t.amount_minor.minor()
            }
            domain::CustomerCommand::RecordTransaction(t) => expected -= t.amount_minor.minor(),
            domain::CustomerCommand::RecordPayment(p) => {
                expected -= p.amount_minor.minor();
                payments.insert(p.payment_id.clone(), p.amount_minor.minor());
            }
            domain::CustomerCommand::ReverseTransaction(r) => expected -= r.amount_minor.minor(),
            domain::CustomerCommand::ReturnPayment(r) => expected += payments[&r.payment_id],
            _ => {}
        }
    }
    let head = write(&bus, items).await;
    Runner::new(
        CustomerOverview,
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .catch_up_to(head, 1_000)
    .await
    .expect("overview");
    let (balance, limit, utilisation): (i64, i64, f64) =
        sqlx::query_as("SELECT balance_minor, credit_limit_minor, utilisation FROM customer_overview WHERE customer_id = 'P001'")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!(balance, expected);
    assert_eq!(limit, 110_000);
    assert_eq!(
        utilisation,
        projections::views::overview::utilisation(expected, 110_000)
    );
}
