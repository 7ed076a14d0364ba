//! A projection step in the middle of writing its tables holds no log reader
//! back: an event committed meanwhile is readable at once (the step
//! declared itself a log reader), so the scoring of new transactions does
//! not wait for the slowest view, nor for a rebuild's batches.

mod common;

use std::sync::Arc;

use common::*;
use projections::lag::LagTracker;
use projections::projection::{Projection, ProjectionError, Tables};
use projections::Runner;
use sqlx::PgConnection;
use store::events::log::{Checkpoint, RecordedEvent};
use store::testing::{fresh_database, read_until};
use tokio::sync::Notify;

/// Writes a row, then waits for `release` before its step may commit.
struct Stalling {
    writing: Arc<Notify>,
    release: Arc<Notify>,
}

impl Projection for Stalling {
    const NAME: &'static str = "stalling_probe";
    const TABLES: &'static [&'static str] = &["stalling_probe"];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        sqlx::query(&format!(
            "INSERT INTO {} (events) VALUES ($1)",
            tables.name("stalling_probe")
        ))
        .bind(events.len() as i64)
        .execute(&mut *tx)
        .await?;
        self.writing.notify_one();
        self.release.notified().await;
        Ok(())
    }
}

fn customer(id: &str) -> Vec<(String, domain::customer::Addressed)> {
    portfolio(1)
        .into_iter()
        .take(1)
        .map(|(_, mut a)| {
            a.customer_id = domain::values::CustomerId::parse(id).expect("id");
            (id.to_owned(), a)
        })
        .collect()
}

#[tokio::test]
async fn a_step_writing_its_tables_holds_no_reader_back() {
    let db = fresh_database().await;
    sqlx::query("CREATE TABLE stalling_probe (events bigint NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("table");
    let bus = bus(&db.pool);
    write(&bus, customer("H001")).await;
    let (writing, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let runner = Runner::new(
        Stalling {
            writing: writing.clone(),
            release: release.clone(),
        },
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    );
    // A step finding nothing readable yet (a transaction elsewhere in the
    // cluster holding the horizon for a moment) is simply taken again.
    let step = tokio::spawn(async move {
        loop {
            match runner.step().await {
                Ok(0) => tokio::task::yield_now().await,
                other => return other,
            }
        }
    });
    writing.notified().await;

    // The step has written and not committed. A transaction registered now
    // commits after it started writing.
    // Polled (see `read_until`): a horizon held by the stalled step would
    // hold it for good.
    let later = write(&bus, customer("H002")).await;
    read_until(&db.pool, Checkpoint::START, |seen| {
        seen.iter().any(|e| e.checkpoint.position == later)
    })
    .await;

    release.notify_one();
    let applied = step.await.expect("step task").expect("step");
    assert_eq!(applied, 1, "the step applied the one event it had read");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stalling_probe")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(rows, 1, "the step committed its write");
}
