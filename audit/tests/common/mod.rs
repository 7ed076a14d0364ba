//! The real read side (scoring projection + decision recorder) over the
//! projection tests' deterministic portfolio, and SQL an attacker with
//! database access would run.
#![allow(dead_code)]

#[path = "../../../projections/tests/common/mod.rs"]
mod portfolio;

use std::sync::Arc;

pub use portfolio::*;

use domain::customer::Addressed;
use domain::risk::ModelArtifact;
use projections::lag::LagTracker;
use projections::recorder::DecisionRecorder;
use projections::views::scoring::CustomerFeatures;
use projections::Runner;
use sqlx::PgPool;

/// The scoring projection with one model, and the decision recorder.
pub struct ReadSide {
    pool: PgPool,
    runner: Runner<CustomerFeatures>,
    recorder: DecisionRecorder,
}

impl ReadSide {
    /// Registers `model` (as `serve` does) and scores with it, reading
    /// `batch` events per step so batches end inside transactions.
    pub async fn start(pool: &PgPool, model: ModelArtifact, batch: i64) -> Self {
        store::registry::register(pool, &model)
            .await
            .expect("register the model");
        let runner = Runner::new(
            CustomerFeatures::new(Arc::new(model)),
            pool.clone(),
            Arc::new(LagTracker::default()),
        )
        .with_batch(batch);
        let recorder = DecisionRecorder::new(
            pool.clone(),
            bus(pool),
            Arc::new(tokio::sync::Notify::new()),
        );
        Self {
            pool: pool.clone(),
            runner,
            recorder,
        }
    }

    /// Scores everything written so far (decisions wait in the outbox).
    pub async fn project(&self) {
        let head: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
            .fetch_one(&self.pool)
            .await
            .expect("head");
        self.runner
            .catch_up_to(head, 100_000)
            .await
            .expect("scoring projection");
    }

    /// Records the decisions asked for.
    pub async fn record(&self) {
        while self.recorder.drain_once().await.expect("recorder") > 0 {}
    }

    /// Scores and records until nothing new is asked for.
    pub async fn settle(&self) {
        loop {
            self.project().await;
            let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM decision_outbox")
                .fetch_one(&self.pool)
                .await
                .expect("outbox");
            if pending == 0 {
                return;
            }
            self.record().await;
        }
    }
}

/// The portfolio in `parts` slices of each customer's commands, so later
/// slices add activity to customers already scored and decided.
pub fn in_parts(customers: usize, parts: usize) -> Vec<Vec<(String, Addressed)>> {
    let all = portfolio(customers);
    let mut out = vec![Vec::new(); parts];
    let mut by_customer: std::collections::BTreeMap<String, Vec<(String, Addressed)>> =
        Default::default();
    for item in all {
        by_customer.entry(item.0.clone()).or_default().push(item);
    }
    for items in by_customer.into_values() {
        let per = items.len().div_ceil(parts);
        for (i, chunk) in items.chunks(per).enumerate() {
            out[i].extend(chunk.iter().cloned());
        }
    }
    out
}

/// Writes, scores and records the portfolio in parts, recording each part's
/// decisions only after the next part was written — as in production, where
/// the recorder runs behind the projection, so events of the customer
/// commit between a decision's trigger and the decision itself.
pub async fn decided_portfolio(pool: &PgPool, read_side: &ReadSide, customers: usize) {
    let bus = bus(pool);
    for part in in_parts(customers, 3) {
        write(&bus, part).await;
        read_side.record().await;
        read_side.project().await;
    }
    read_side.settle().await;
}

/// Runs `sql` the way an attacker with database access would: with the
/// append-only trigger disabled for this session.
pub async fn tamper(pool: &PgPool, sql: &str) {
    let mut conn = pool.acquire().await.expect("connection");
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .expect("disable triggers");
    let done = sqlx::query(sql).execute(&mut *conn).await.expect("tamper");
    assert!(
        done.rows_affected() > 0,
        "the tampering changed nothing: {sql}"
    );
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut *conn)
        .await
        .expect("re-enable triggers");
}

/// Scalar query helper.
pub async fn scalar<T>(pool: &PgPool, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}
