//! The global log in commit order.
//!
//! `global_position` comes from an identity sequence handed out at insert
//! time, before commit: transaction A may take position 10 and commit after B
//! took 11 and committed. A reader that followed positions alone would read
//! 11, move its checkpoint past 10, and never see A's event. So readers follow
//! `(tx_id, global_position)` and only read events of transactions older than
//! the oldest one still running that could append events (the horizon, see
//! [`super::horizon`]): such a transaction can no longer add anything below
//! the checkpoint.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::{PgExecutor, Row};

use super::horizon::horizon_sql;

/// Where a reader is in the log: the last `(tx_id, global_position)` read.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    /// Transaction id (xid8) of the last event read.
    pub tx_id: u64,
    /// Global position of the last event read.
    pub position: i64,
}

impl Checkpoint {
    /// Before the first event.
    pub const START: Checkpoint = Checkpoint {
        tx_id: 0,
        position: 0,
    };
}

/// A JSON document as stored, kept as text: readers decode it straight into
/// their own types. (Building a generic JSON tree for every event and
/// dropping it again was most of a rebuild's time.)
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// The text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Decodes it into `T`.
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    fn from_column(r: &sqlx::postgres::PgRow, column: &str) -> Result<Self, sqlx::Error> {
        let text: String = r.try_get(column)?;
        RawValue::from_string(text)
            .map(Self)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// One stored event as the log returns it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedEvent {
    /// Where it sits in commit order.
    pub checkpoint: Checkpoint,
    /// Aggregate type (`customer`, …).
    pub aggregate_type: String,
    /// Stream id.
    pub aggregate_id: String,
    /// Position in its stream.
    pub sequence: i64,
    /// Event type name.
    pub event_type: String,
    /// Payload version.
    pub event_version: String,
    /// Payload.
    pub payload: JsonText,
    /// Metadata (actor, request, correlation, causation, occurred_at).
    pub metadata: JsonText,
    /// When the database stored it.
    pub recorded_at: DateTime<Utc>,
}

/// Reads up to `limit` events after `after`, in commit order, never skipping
/// one whose transaction committed late and never returning one twice.
pub async fn read_all<'e>(
    db: impl PgExecutor<'e>,
    after: Checkpoint,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    static READ: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT tx_id::text AS tx, global_position, aggregate_type, aggregate_id, sequence, \
                event_type, event_version, payload::text AS payload, metadata::text AS metadata, \
                recorded_at \
         FROM events \
         WHERE (tx_id, global_position) > ($1::text::xid8, $2) \
           AND tx_id < {} \
         ORDER BY tx_id, global_position \
         LIMIT $3",
            horizon_sql()
        )
    });
    let rows = sqlx::query(READ.as_str())
        .bind(after.tx_id.to_string())
        .bind(after.position)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.into_iter().map(|r| decode(&r)).collect()
}

/// The newest checkpoint a reader could reach now (for lag figures).
pub async fn head<'e>(db: impl PgExecutor<'e>) -> Result<Checkpoint, sqlx::Error> {
    static HEAD: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT tx_id::text AS tx, global_position FROM events \
         WHERE tx_id < {} \
         ORDER BY tx_id DESC, global_position DESC LIMIT 1",
            horizon_sql()
        )
    });
    let row = sqlx::query(HEAD.as_str()).fetch_optional(db).await?;
    match row {
        None => Ok(Checkpoint::START),
        Some(r) => Ok(Checkpoint {
            tx_id: parse_xid(&r)?,
            position: r.try_get("global_position")?,
        }),
    }
}

fn parse_xid(r: &sqlx::postgres::PgRow) -> Result<u64, sqlx::Error> {
    let tx: String = r.try_get("tx")?;
    tx.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn decode(r: &sqlx::postgres::PgRow) -> Result<RecordedEvent, sqlx::Error> {
    Ok(RecordedEvent {
        checkpoint: Checkpoint {
            tx_id: parse_xid(r)?,
            position: r.try_get("global_position")?,
        },
        aggregate_type: r.try_get("aggregate_type")?,
        aggregate_id: r.try_get("aggregate_id")?,
        sequence: r.try_get("sequence")?,
        event_type: r.try_get("event_type")?,
        event_version: r.try_get("event_version")?,
        payload: JsonText::from_column(r, "payload")?,
        metadata: JsonText::from_column(r, "metadata")?,
        recorded_at: r.try_get("recorded_at")?,
    })
}
