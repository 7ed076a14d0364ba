//! The decision recorder: turns each decision the scoring projection asked
//! for (a `decision_outbox` row, written in the same transaction as the
//! projection's checkpoint) into a `RecordRiskAssessment` command on the
//! customer's stream, then deletes the row.
//!
//! The command is idempotent on its decision id, so a crash between recording
//! and deleting only makes the next pass record nothing new. Rows are claimed
//! with `FOR UPDATE SKIP LOCKED`, so several processes can drain together. A
//! decision the aggregate refuses is kept with its reason for operators and
//! not retried; a database error leaves the row for the next pass.

use std::sync::Arc;
use std::time::Duration;

use commands::{CommandBus, CommandError, Metadata};
use domain::customer::{Addressed, CustomerCommand, RecordRiskAssessment};
use domain::values::CustomerId;
use domain::Customer;
use sqlx::{PgPool, Row};
use tokio::sync::{watch, Notify};

/// Drains the decision outbox.
pub struct DecisionRecorder {
    pool: PgPool,
    bus: CommandBus<Customer>,
    wake: Arc<Notify>,
}

const BATCH: i64 = 200;
const POLL: Duration = Duration::from_millis(250);

impl DecisionRecorder {
    /// A recorder writing through `bus`, woken by `wake`.
    pub fn new(pool: PgPool, bus: CommandBus<Customer>, wake: Arc<Notify>) -> Self {
        Self { pool, bus, wake }
    }

    /// Records up to one batch of pending decisions; returns how many rows it
    /// finished (recorded, already recorded, or refused).
    pub async fn drain_once(&self) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT decision_id, customer_id, command FROM decision_outbox WHERE last_error IS NULL \
             ORDER BY created_at, decision_id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let mut done = Vec::new();
        let mut refused = Vec::new();
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
            match self.bus.execute(&customer, addressed, &meta).await {
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
        sqlx::query("DELETE FROM decision_outbox WHERE decision_id = ANY($1)")
            .bind(&done)
            .execute(&mut *tx)
            .await?;
        for (id, reason) in &refused {
            sqlx::query("UPDATE decision_outbox SET last_error = $2 WHERE decision_id = $1")
                .bind(id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.len() + refused.len())
    }

    /// Drains until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        while !*shutdown.borrow() {
            match self.drain_once().await {
                Ok(n) if n > 0 => {
                    backoff = Duration::from_millis(100);
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
