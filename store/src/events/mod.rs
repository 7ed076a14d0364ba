//! [`PgEventStore`]: cqrs-es's `EventStore` over sqlx, with snapshots that are
//! right (cqrs-es 0.5.0's own snapshot modes apply new events twice).
//!
//! Loading a stream is one round trip: the latest snapshot plus the events
//! after it. Committing is one statement: the events (hash-chained) and, every
//! `snapshot_every` events, the aggregate's state as it stands after them —
//! taken from the context, where `EventSink::write` has already applied them
//! exactly once.

mod append;
mod cqrs;
pub mod hash;
pub mod horizon;
mod load;
pub mod log;
pub mod tail;

use std::marker::PhantomData;
use std::sync::Arc;

use cqrs_es::{Aggregate, AggregateContext, AggregateError};
use serde_json::{Map, Value};
use sqlx::PgPool;

use crate::notifier::Notifier;
use crate::stream::Stream;

/// A loaded stream: the aggregate, its version and the hash chain's tip.
#[derive(Clone, Debug)]
pub struct StreamContext<A> {
    /// The aggregate as of `version`.
    pub aggregate: A,
    /// Stream id.
    pub aggregate_id: String,
    /// Sequence of the last event applied (0 = empty stream).
    pub version: i64,
    /// Hash of the last event (the genesis hash for an empty stream).
    pub last_hash: [u8; 32],
}

impl<A: Aggregate> AggregateContext<A> for StreamContext<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// New events for one stream, with the context they were decided against.
pub struct PendingCommit<A: Aggregate> {
    /// The context after the events were applied to its aggregate.
    pub context: StreamContext<A>,
    /// The events, in order.
    pub events: Vec<A::Event>,
    /// Metadata stored with each event (`occurred_at` is added per event).
    pub metadata: Map<String, Value>,
}

/// Where a committed event landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedEvent {
    /// Stream id.
    pub aggregate_id: String,
    /// Position in the stream.
    pub sequence: i64,
    /// The event's type (what the command turned out to record).
    pub event_type: String,
    /// Position in the global log.
    pub global_position: i64,
    /// The event's link in its stream's hash chain.
    pub hash: [u8; 32],
}

/// An earlier event found by its deduplication key.
#[derive(Clone, Debug)]
pub struct EarlierFact<E> {
    /// Stream id.
    pub aggregate_id: String,
    /// The key.
    pub key: String,
    /// Its position in the stream.
    pub sequence: i64,
    /// The event.
    pub event: E,
}

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to one of the streams first (or stored the
    /// same unique fact): reload and decide again.
    #[error("another command changed the customer first")]
    Conflict,
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data does not decode: a bug or damage, never silently skipped.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    fn from_write(e: sqlx::Error) -> Self {
        match &e {
            // Unique violation (a stream moved on, or a fact is already
            // stored); deadlock and serialisation failures are retryable too.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("23505" | "40P01" | "40001")) =>
            {
                Self::Conflict
            }
            _ => Self::Database(e),
        }
    }
}

impl<T: std::error::Error> From<StoreError> for AggregateError<T> {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => AggregateError::AggregateConflict,
            StoreError::Database(e) => AggregateError::DatabaseConnectionError(Box::new(e)),
            StoreError::Corrupt(e) => AggregateError::DeserializationError(e.into()),
        }
    }
}

/// The PostgreSQL event store for aggregates of type `A`.
pub struct PgEventStore<A> {
    pool: PgPool,
    snapshot_every: i64,
    notifier: Option<Arc<Notifier>>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A> Clone for PgEventStore<A> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            snapshot_every: self.snapshot_every,
            notifier: self.notifier.clone(),
            _aggregate: PhantomData,
        }
    }
}

/// Default snapshot interval: loading reads at most this many events past the
/// snapshot, whatever the stream's length.
pub const DEFAULT_SNAPSHOT_EVERY: i64 = 20;

impl<A: Stream> PgEventStore<A> {
    /// A store snapshotting every [`DEFAULT_SNAPSHOT_EVERY`] events.
    pub fn new(pool: PgPool) -> Self {
        Self::with_snapshot_every(pool, DEFAULT_SNAPSHOT_EVERY)
    }

    /// A store snapshotting every `n` events (`0` = never).
    pub fn with_snapshot_every(pool: PgPool, n: i64) -> Self {
        Self {
            pool,
            snapshot_every: n,
            notifier: None,
            _aggregate: PhantomData,
        }
    }

    /// Pokes `notifier` after every commit (wakes log readers).
    pub fn with_notifier(mut self, notifier: Arc<Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The pool the store writes through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn empty<A: Default>(id: &str) -> StreamContext<A> {
    StreamContext {
        aggregate: A::default(),
        aggregate_id: id.to_owned(),
        version: 0,
        last_hash: hash::GENESIS,
    }
}

fn to_hash(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}
