//! What a projection is: a name, the tables it owns, and how a batch of
//! events changes them. The runner supplies the transaction; the projection
//! never commits.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use store::{Checkpoint, RecordedEvent};

/// Why a batch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The database failed: retry later.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Something the projection acts through (the command bus of a process
    /// manager) failed: retry later, like a database error.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An event cannot be projected (unreadable payload, broken invariant):
    /// the projection stops on it rather than skip it.
    #[error("event at position {position} cannot be projected: {reason}")]
    Poison {
        /// Global position of the event.
        position: i64,
        /// Why.
        reason: String,
    },
}

/// Physical names of a projection's tables: the live ones, or fresh copies
/// being rebuilt.
#[derive(Clone, Debug)]
pub struct Tables {
    names: BTreeMap<&'static str, String>,
    live: bool,
}

impl Tables {
    /// The live tables.
    pub fn live(logical: &[&'static str]) -> Self {
        Self {
            names: logical.iter().map(|n| (*n, (*n).to_owned())).collect(),
            live: true,
        }
    }

    /// Copies with a suffix (used while rebuilding).
    pub fn suffixed(logical: &[&'static str], suffix: &str) -> Self {
        Self {
            names: logical
                .iter()
                .map(|n| (*n, format!("{n}{suffix}")))
                .collect(),
            live: false,
        }
    }

    /// The physical name for a logical table. Table names come from code,
    /// never from input, so formatting them into SQL is safe.
    pub fn name<'a>(&'a self, logical: &'a str) -> &'a str {
        self.names
            .get(logical)
            .map(String::as_str)
            .unwrap_or(logical)
    }

    /// Whether these are the live tables (side effects such as requesting
    /// decisions happen only then, never while rebuilding history).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// (logical, physical) pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.names.iter().map(|(l, p)| (*l, p.as_str()))
    }
}

/// A projection's checkpoint row as one step found or left it: the
/// checkpoint and when the row was last written. Equal marks mean nothing
/// else (another process, a rebuild) has written the projection in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepMark {
    /// Where the projection stands in the log.
    pub checkpoint: Checkpoint,
    /// When the checkpoint row was written (the writing transaction's time).
    pub written_at: DateTime<Utc>,
}

/// A read model fed from the log.
pub trait Projection: Send + Sync + 'static {
    /// Unique name; also the checkpoint's key.
    const NAME: &'static str;

    /// The tables it writes (logical names = live table names).
    const TABLES: &'static [&'static str];

    /// What a rebuild keeps in memory from one batch to the next (`()` for
    /// a projection whose state lives in its tables alone).
    type RebuildMemory: Default + Send;

    /// Applies a batch of events (in commit order) inside `tx`.
    fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send;

    /// Applies a batch while rebuilding into fresh `tables`, with `memory`
    /// carried over from the previous batch: a projection that rereads and
    /// rewrites the same rows batch after batch can keep them in memory
    /// instead. Tables and memory together are the state until
    /// [`Projection::finish_rebuild`] writes the rest. By default, exactly
    /// [`Projection::apply`].
    fn apply_rebuilding(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
        memory: &mut Self::RebuildMemory,
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send {
        let _ = memory;
        self.apply(tx, tables, events)
    }

    /// Writes what a rebuild still holds in `memory` to `tables`, after its
    /// last batch and before the tables are swapped in (from then on batches
    /// go through [`Projection::apply`] again). By default, nothing.
    fn finish_rebuild(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        memory: Self::RebuildMemory,
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send {
        let _ = (tx, tables, memory);
        async { Ok(()) }
    }

    /// The live runner is about to apply a batch on top of `at`. A
    /// projection that keeps in memory what its last step wrote may use it
    /// only if `at` is the mark that step committed ([`Projection::committed`]);
    /// otherwise something else wrote in between and the memory is stale. By
    /// default, nothing.
    fn step_starts(&self, at: &StepMark) {
        let _ = at;
    }

    /// The live runner's step committed and left the checkpoint row at
    /// `mark`. By default, nothing.
    fn committed(&self, mark: &StepMark) {
        let _ = mark;
    }

    /// The live runner's step did not commit (or its outcome is unknown):
    /// whatever it applied in memory must be forgotten. By default, nothing.
    fn step_failed(&self) {}
}

/// Decodes customer events of a batch; other aggregate types are skipped
/// (they are not this projection's business), undecodable ones are poison.
pub fn customer_events(
    events: &[RecordedEvent],
) -> Result<Vec<(&RecordedEvent, domain::CustomerEvent)>, ProjectionError> {
    events
        .iter()
        .filter(|e| e.aggregate_type == <domain::Customer as cqrs_es::Aggregate>::TYPE)
        .map(|e| {
            e.payload
                .decode::<domain::CustomerEvent>()
                .map(|d| (e, d))
                .map_err(|err| ProjectionError::Poison {
                    position: e.checkpoint.position,
                    reason: err.to_string(),
                })
        })
        .collect()
}
