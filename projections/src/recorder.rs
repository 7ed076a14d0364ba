//! The decision recorder: turns each decision the scoring projection asked
//! for (a `decision_outbox` row, written in the same transaction as the
//! projection's checkpoint) into a `RecordRiskAssessment` command on the
//! customer's stream, then deletes the row.
//!
//! The command is idempotent on its decision id (a unique fact of the
//! stream), so a crash between recording and deleting only makes the next
//! pass record nothing new. One process drains at a time, under a
//! session-level advisory lock: not row locks in a transaction held across
//! the commands, because an open writing transaction holds back every log
//! reader's horizon (`store::events::horizon`) and so the views and the next
//! decisions for as long as it runs. A decision the aggregate refuses is
//! kept with its reason for operators and not retried; a database error
//! leaves the row for the next pass.

use std::sync::Arc;
use std::time::Duration;

use domain::customer::{Addressed, CustomerCommand, RecordRiskAssessment};
use domain::values::CustomerId;
use domain::Customer;
use sqlx::{PgPool, Row};
use store::{CommandBus, CommandError, Metadata};
use tokio::sync::{watch, Notify};

use crate::pace::{per_customer, Pace};

/// Drains the decision outbox.
pub struct DecisionRecorder {
    pool: PgPool,
    bus: CommandBus<Customer>,
    wake: Arc<Notify>,
    min_interval: Duration,
    lag: Option<Arc<crate::lag::LagTracker>>,
}

const BATCH: i64 = 200;

/// The session-level advisory lock key one draining process holds (any
/// fixed number no other lock uses).
pub const DRAIN_LOCK: i64 = 0x0dec_1510_4ec0_4de4;
const POLL: Duration = Duration::from_millis(250);

impl DecisionRecorder {
    /// A recorder writing through `bus`, woken by `wake`.
    pub fn new(pool: PgPool, bus: CommandBus<Customer>, wake: Arc<Notify>) -> Self {
        Self {
            pool,
            bus,
            wake,
            min_interval: Duration::ZERO,
            lag: None,
        }
    }

    /// Reports how long each decision waited in the outbox to `lag`.
    pub fn with_lag(mut self, lag: Arc<crate::lag::LagTracker>) -> Self {
        self.lag = Some(lag);
        self
    }

    /// Drains at most once per `interval` (the runners' reason: each pass
    /// costs the database the same few statements however few decisions it
    /// carries).
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// Records up to one batch of pending decisions; returns how many rows it
    /// finished (recorded, already recorded, or refused).
    pub async fn drain_once(&self) -> Result<usize, sqlx::Error> {
        let mut conn = DrainLock {
            conn: Some(self.pool.acquire().await?),
        };
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(DRAIN_LOCK)
            .fetch_one(conn.get())
            .await?;
        if !held {
            // Another process is draining; it will take these rows too.
            conn.release_unlocked();
            return Ok(0);
        }
        let drained = self.drain_held(conn.get()).await;
        conn.unlock().await;
        drained
    }

    async fn drain_held(&self, conn: &mut sqlx::PgConnection) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT decision_id, customer_id, command FROM decision_outbox WHERE last_error IS NULL \
             ORDER BY created_at, decision_id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(&mut *conn)
        .await?;
        let mut done = Vec::new();
        let mut refused = Vec::new();
        let mut decisions = Vec::new();
        for r in rows {
            let decision_id: String = r.try_get("decision_id")?;
            let customer: String = r.try_get("customer_id")?;
            let parsed = serde_json::from_value::<RecordRiskAssessment>(r.try_get("command")?)
                .map_err(|e| e.to_string())
                .and_then(|c| CustomerId::parse(&customer).map(|id| (id, c)));
            let (customer_id, command) = match parsed {
                Ok(p) => p,
                Err(e) => {
                    refused.push((decision_id, format!("unreadable: {e}")));
                    continue;
                }
            };
            let meta = Metadata {
                actor: "risk-engine".into(),
                request_id: decision_id.clone(),
                correlation_id: format!("event:{}", command.trigger.global_position),
                causation_id: Some(format!("event:{}", command.trigger.global_position)),
            };
            let addressed = Addressed {
                customer_id,
                command: CustomerCommand::RecordRiskAssessment(Box::new(command)),
            };
            decisions.push((customer, (decision_id, addressed, meta)));
        }
        let recorded = per_customer(decisions, |customer, mine| {
            let bus = self.bus.clone();
            async move { record(&bus, &customer, mine).await }
        })
        .await;
        for finished in recorded {
            // A panic in a customer's task is a bug: raised here, not turned
            // into a database error (cancelled tasks do not happen: none is
            // aborted).
            let (d, r) = match finished {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => return Err(sqlx::Error::WorkerCrashed),
            };
            done.extend(d);
            refused.extend(r);
        }
        if done.is_empty() && refused.is_empty() {
            return Ok(0);
        }
        // A short transaction of its own, whose commit need not wait for the
        // WAL flush: a deletion lost in a database crash only makes the next
        // pass record nothing new (the decisions themselves were committed
        // synchronously, which flushed everything before them).
        let mut tx =
            sqlx::Connection::begin_with(&mut *conn, "BEGIN; SET LOCAL synchronous_commit TO off")
                .await?;
        let waited: Vec<f64> = sqlx::query_scalar(
            "DELETE FROM decision_outbox WHERE decision_id = ANY($1) \
             RETURNING extract(epoch FROM clock_timestamp() - created_at)::float8",
        )
        .bind(&done)
        .fetch_all(&mut *tx)
        .await?;
        for (id, reason) in &refused {
            sqlx::query("UPDATE decision_outbox SET last_error = $2 WHERE decision_id = $1")
                .bind(id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        if let Some(lag) = &self.lag {
            lag.record_decisions(waited);
        }
        Ok(done.len() + refused.len())
    }

    /// Drains until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        let mut pace = Pace::new(self.min_interval);
        while !*shutdown.borrow() {
            if !pace.wait(&mut shutdown).await {
                continue;
            }
            match self.drain_once().await {
                Ok(n) if n > 0 => {
                    backoff = Duration::from_millis(100);
                    if n as i64 >= BATCH {
                        pace.full();
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "decision outbox unavailable; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Records one customer's decisions in order; stops at the first that cannot
/// be recorded yet (it and those after it stay in the outbox). Returns the
/// decisions finished and those refused, with the reason.
async fn record(
    bus: &CommandBus<Customer>,
    customer: &str,
    decisions: Vec<(String, Addressed, Metadata)>,
) -> (Vec<String>, Vec<(String, String)>) {
    let (mut done, mut refused) = (Vec::new(), Vec::new());
    for (decision_id, addressed, meta) in decisions {
        match bus.execute(customer, addressed, &meta).await {
            Ok(_) => done.push(decision_id),
            Err(CommandError::Rejected(e)) => {
                tracing::error!(decision = %decision_id, error = %e, "risk decision refused");
                refused.push((decision_id, e.to_string()));
            }
            Err(e) => {
                tracing::warn!(decision = %decision_id, error = %e, "risk decision not recorded yet; will retry");
                break;
            }
        }
    }
    (done, refused)
}

/// A pooled connection holding the drain's session-level advisory lock. If
/// the pass is abandoned before it unlocks (the task is cancelled), the
/// connection is closed instead of going back to the pool, so the lock goes
/// with it rather than staying held by an idle pooled session.
struct DrainLock {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
}

impl DrainLock {
    fn get(&mut self) -> &mut sqlx::PgConnection {
        self.conn
            .as_deref_mut()
            .expect("the connection is held until unlock")
    }

    /// Gives the connection back when the lock was never taken.
    fn release_unlocked(mut self) {
        drop(self.conn.take());
    }

    async fn unlock(mut self) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(DRAIN_LOCK)
            .execute(self.get())
            .await;
        if unlocked.is_ok() {
            drop(self.conn.take());
        }
    }
}

impl Drop for DrainLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}
