//! Each projection's position and health as stored, for `/readyz`,
//! `/metrics` and the CLI (it reads the table, so it works across
//! processes).

use serde::Serialize;
use sqlx::{PgPool, Row};
use store::Checkpoint;

/// A projection's position and health, as stored.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunnerStatus {
    /// Projection name.
    pub name: String,
    /// Checkpoint.
    pub checkpoint: Checkpoint,
    /// Events applied since the projection was created or rebuilt.
    pub events_applied: i64,
    /// Committed events not yet projected (counted up to 1,000,000).
    pub events_behind: i64,
    /// Why it stopped, if it did.
    pub last_error: Option<String>,
}

/// Every projection's checkpoint, health and backlog, as stored (for
/// `/readyz` and metrics; works across processes).
pub async fn statuses(pool: &PgPool) -> Result<Vec<RunnerStatus>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.name, c.tx_id::text AS tx, c.position, c.events_applied, c.last_error, \
                (SELECT count(*) FROM (SELECT 1 FROM events e \
                   WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position) LIMIT 1000000) b) AS behind \
         FROM projection_checkpoints c ORDER BY c.name",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let tx: String = r.try_get("tx")?;
            Ok(RunnerStatus {
                name: r.try_get("name")?,
                checkpoint: Checkpoint {
                    tx_id: tx.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    position: r.try_get("position")?,
                },
                events_applied: r.try_get("events_applied")?,
                events_behind: r.try_get("behind")?,
                last_error: r.try_get("last_error")?,
            })
        })
        .collect()
}
