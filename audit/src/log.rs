//! Reading customers' streams for an audit: each event decoded, with where it
//! sits in commit order `(tx_id, global_position)` and when it was recorded.
//!
//! Events come back in **commit order**, not stream order: that is the order
//! the read side folded them in, and a decision's checkpoint is a place in
//! it. (For one stream the two orders agree — a writer can only append after
//! the previous event committed — but the audit does not rely on that.)
//! Payloads are fetched as text and decoded straight into the domain event,
//! skipping an intermediate JSON tree: replaying a portfolio decodes every
//! event once.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{Customer, CustomerEvent};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use store::Checkpoint;

use crate::AuditError;

/// The aggregate type of customer streams.
pub fn customer_type() -> &'static str {
    <Customer as Aggregate>::TYPE
}

/// One event of a customer's stream.
#[derive(Clone, Debug)]
pub struct LogEvent {
    /// The customer (stream id).
    pub customer_id: String,
    /// Where it sits in commit order.
    pub checkpoint: Checkpoint,
    /// Its position in the stream.
    pub sequence: i64,
    /// Its type name.
    pub event_type: String,
    /// When the database stored it (`clock_timestamp()` at insert).
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: CustomerEvent,
}

const COLUMNS: &str = "aggregate_id, tx_id::text AS tx, global_position, sequence, event_type, \
                       recorded_at, payload::text AS payload";

fn decode(r: &PgRow) -> Result<LogEvent, AuditError> {
    let customer_id: String = r.try_get("aggregate_id")?;
    let sequence: i64 = r.try_get("sequence")?;
    let tx: String = r.try_get("tx")?;
    let payload: String = r.try_get("payload")?;
    let event = serde_json::from_str(&payload)
        .map_err(|e| AuditError::Corrupt(format!("event {customer_id}#{sequence}: {e}")))?;
    Ok(LogEvent {
        checkpoint: Checkpoint {
            tx_id: tx
                .parse()
                .map_err(|e| AuditError::Corrupt(format!("tx_id {tx}: {e}")))?,
            position: r.try_get("global_position")?,
        },
        sequence,
        event_type: r.try_get("event_type")?,
        recorded_at: r.try_get("recorded_at")?,
        event,
        customer_id,
    })
}

/// Whether `id` has a stream (any event at all).
pub async fn customer_exists<'e>(db: impl PgExecutor<'e>, id: &str) -> Result<bool, AuditError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2)",
    )
    .bind(customer_type())
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Every event of the customers `ids`, by customer id, then commit order.
pub async fn streams<'e>(
    db: impl PgExecutor<'e>,
    ids: &[String],
) -> Result<Vec<LogEvent>, AuditError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = ANY($2) \
         ORDER BY aggregate_id, tx_id, global_position"
    ))
    .bind(customer_type())
    .bind(ids)
    .fetch_all(db)
    .await?;
    rows.iter().map(decode).collect()
}

/// Every event of one customer, in commit order.
pub async fn stream<'e>(db: impl PgExecutor<'e>, id: &str) -> Result<Vec<LogEvent>, AuditError> {
    streams(db, &[id.to_owned()]).await
}

/// The customer's events at or before `cp` in commit order: what a reader of
/// the log had seen of the customer once it reached `cp`.
pub async fn stream_until<'e>(
    db: impl PgExecutor<'e>,
    id: &str,
    cp: Checkpoint,
) -> Result<Vec<LogEvent>, AuditError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 \
           AND (tx_id, global_position) <= ($3::text::xid8, $4) \
         ORDER BY tx_id, global_position"
    ))
    .bind(customer_type())
    .bind(id)
    .bind(cp.tx_id.to_string())
    .bind(cp.position)
    .fetch_all(db)
    .await?;
    rows.iter().map(decode).collect()
}

/// The customer's events whose whole transaction had been recorded by `at`,
/// in commit order.
///
/// A transaction's events become visible together, at its commit, which is
/// not stored; the last `recorded_at` of the transaction (across all streams
/// it wrote) is the closest lower bound the log keeps. Counting a
/// transaction only once all of it was recorded never shows half of a batch.
pub async fn stream_recorded_by<'e>(
    db: impl PgExecutor<'e>,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Vec<LogEvent>, AuditError> {
    let rows = sqlx::query(&format!(
        "WITH txs AS (SELECT DISTINCT tx_id FROM events WHERE aggregate_type = $1 AND aggregate_id = $2), \
              done AS (SELECT tx_id FROM txs \
                       WHERE (SELECT max(t.recorded_at) FROM events t WHERE t.tx_id = txs.tx_id) <= $3) \
         SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 \
           AND tx_id IN (SELECT tx_id FROM done) \
         ORDER BY tx_id, global_position"
    ))
    .bind(customer_type())
    .bind(id)
    .bind(at)
    .fetch_all(db)
    .await?;
    rows.iter().map(decode).collect()
}

/// The commit-order checkpoint of the event stored at global `position`.
pub async fn checkpoint_at<'e>(
    db: impl PgExecutor<'e>,
    position: i64,
) -> Result<Checkpoint, AuditError> {
    let tx: Option<String> =
        sqlx::query_scalar("SELECT tx_id::text FROM events WHERE global_position = $1")
            .bind(position)
            .fetch_optional(db)
            .await?;
    let tx =
        tx.ok_or_else(|| AuditError::NotFound(format!("an event at global position {position}")))?;
    Ok(Checkpoint {
        tx_id: tx
            .parse()
            .map_err(|e| AuditError::Corrupt(format!("tx_id {tx}: {e}")))?,
        position,
    })
}
