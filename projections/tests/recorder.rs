//! The decision recorder drains in one process at a time, under a
//! session-level advisory lock rather than a transaction held across its
//! commands — and a pass abandoned half-way never leaves that lock behind on
//! a pooled connection, where it would stop every recorder for good.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use domain::risk::demo_artifact;
use projections::lag::LagTracker;
use projections::recorder::{DecisionRecorder, DRAIN_LOCK};
use projections::views::scoring::CustomerFeatures;
use projections::Runner;
use sqlx::PgPool;
use store::testing::fresh_database;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn drain_lock_held(pool: &PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND ((classid::bigint << 32) | objid::bigint) = $1)",
    )
    .bind(DRAIN_LOCK)
    .fetch_one(pool)
    .await
    .expect("pg_locks")
}

/// A portfolio scored, with its decisions waiting in the outbox.
async fn pending_decisions(pool: &PgPool) -> DecisionRecorder {
    let bus = bus(pool);
    let head = write(&bus, portfolio(40)).await;
    Runner::new(
        CustomerFeatures::new(Arc::new(demo_artifact())),
        pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .catch_up_to(head, 10_000)
    .await
    .expect("scored");
    assert!(count(pool, "SELECT count(*) FROM decision_outbox").await > 0);
    DecisionRecorder::new(pool.clone(), bus, Arc::new(tokio::sync::Notify::new()))
}

#[tokio::test]
async fn one_process_drains_at_a_time() {
    let db = fresh_database().await;
    let recorder = pending_decisions(&db.pool).await;
    let requested = count(&db.pool, "SELECT count(*) FROM decision_outbox").await;

    // Another process is draining: this one leaves the rows to it.
    let mut other = db.pool.acquire().await.expect("connection");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(DRAIN_LOCK)
        .execute(&mut *other)
        .await
        .expect("lock");
    assert_eq!(recorder.drain_once().await.expect("pass"), 0);
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'"
        )
        .await,
        0
    );
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(DRAIN_LOCK)
        .execute(&mut *other)
        .await
        .expect("unlock");

    while recorder.drain_once().await.expect("pass") > 0 {}
    assert_eq!(
        count(
            &db.pool,
            "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'"
        )
        .await,
        requested
    );
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM decision_outbox").await,
        0
    );
    assert!(!drain_lock_held(&db.pool).await, "the lock is given back");
}

#[tokio::test]
async fn an_abandoned_pass_does_not_keep_the_lock() {
    let db = fresh_database().await;
    let recorder = pending_decisions(&db.pool).await;

    // Run a pass until it holds the lock, then abandon it (as a cancelled
    // task would).
    {
        let pass = recorder.drain_once();
        tokio::pin!(pass);
        loop {
            tokio::select! {
                biased;
                _ = &mut pass => panic!("the pass finished before it was seen holding the lock"),
                _ = tokio::task::yield_now() => {}
            }
            if drain_lock_held(&db.pool).await {
                break;
            }
        }
    }
    // Its connection was closed rather than pooled, so the server lets the
    // lock go (as soon as it notices; the deadline only turns a hang into a
    // failure).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while drain_lock_held(&db.pool).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the drain lock is still held"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // And the next pass drains everything.
    while recorder.drain_once().await.expect("pass") > 0 {}
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM decision_outbox").await,
        0
    );
}
