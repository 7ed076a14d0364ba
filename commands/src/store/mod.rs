//! [`PgEventStore`]: cqrs-es's `EventStore` over sqlx, with snapshots that are
//! right (cqrs-es 0.5.0's own snapshot modes apply new events twice).
//!
//! Loading a stream is one round trip: the latest snapshot plus the events
//! after it. Committing is one statement: the events (hash-chained) and, every
//! `snapshot_every` events, the aggregate's state as it stands after them —
//! taken from the context, where `EventSink::write` has already applied them
//! exactly once.

pub mod hash;
pub mod log;

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;

use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
};
use serde_json::{Map, Value};
use sqlx::{PgExecutor, PgPool, Row};

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

    /// Loads one stream (snapshot + newer events) in one round trip.
    pub async fn load(&self, id: &str) -> Result<StreamContext<A>, StoreError> {
        Ok(self.load_with_facts(id, &[]).await?.0)
    }

    /// Loads one stream and the earlier facts stored under `keys` on it, in
    /// one round trip with plain parameters (so PostgreSQL can reuse a
    /// generic plan instead of planning every time).
    pub async fn load_with_facts(
        &self,
        id: &str,
        keys: &[String],
    ) -> Result<(StreamContext<A>, Vec<EarlierFact<A::Event>>), StoreError> {
        let rows = sqlx::query(
            "WITH snap AS (SELECT sequence, last_hash, payload FROM snapshots \
                           WHERE aggregate_type = $1 AND aggregate_id = $2 AND snapshot_version = $3) \
             SELECT 1 AS kind, sequence, last_hash AS hash, payload, NULL::text AS dedup_key FROM snap \
             UNION ALL \
             SELECT 2, sequence, hash, payload, NULL FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 \
               AND sequence > COALESCE((SELECT sequence FROM snap), 0) \
             UNION ALL \
             SELECT 3, sequence, hash, payload, dedup_key FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND dedup_key IS NOT NULL AND dedup_key = ANY($4::text[]) \
             ORDER BY kind, sequence",
        )
        .bind(A::TYPE)
        .bind(id)
        .bind(A::SNAPSHOT_VERSION)
        .bind(keys)
        .fetch_all(&self.pool)
        .await?;
        let mut ctx = empty(id);
        let mut facts = Vec::new();
        for r in rows {
            let kind: i32 = r.try_get("kind")?;
            let sequence: i64 = r.try_get("sequence")?;
            let payload: Value = r.try_get("payload")?;
            if kind == 3 {
                let event = serde_json::from_value(payload)
                    .map_err(|e| StoreError::Corrupt(format!("event {id}#{sequence}: {e}")))?;
                facts.push(EarlierFact {
                    aggregate_id: id.to_owned(),
                    key: r.try_get("dedup_key")?,
                    sequence,
                    event,
                });
            } else {
                fold_row(
                    &mut ctx,
                    kind,
                    sequence,
                    to_hash(r.try_get("hash")?)?,
                    payload,
                )?;
            }
        }
        Ok((ctx, facts))
    }

    /// Loads many streams in one round trip; absent streams come back empty.
    pub async fn load_many(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, StreamContext<A>>, StoreError> {
        self.load_many_in(&self.pool, ids).await
    }

    /// [`Self::load_many`] on a given connection or transaction.
    pub async fn load_many_in<'e>(
        &self,
        db: impl PgExecutor<'e>,
        ids: &[String],
    ) -> Result<HashMap<String, StreamContext<A>>, StoreError> {
        let rows = sqlx::query(
            "WITH ids AS (SELECT DISTINCT unnest($2::text[]) AS id), \
             snap AS (SELECT s.aggregate_id, s.sequence, s.last_hash, s.payload FROM snapshots s \
                      JOIN ids ON s.aggregate_id = ids.id \
                      WHERE s.aggregate_type = $1 AND s.snapshot_version = $3) \
             SELECT 1 AS kind, aggregate_id, sequence, last_hash AS hash, payload FROM snap \
             UNION ALL \
             SELECT 2, e.aggregate_id, e.sequence, e.hash, e.payload FROM ids \
               CROSS JOIN LATERAL ( \
                 SELECT * FROM events e \
                 WHERE e.aggregate_type = $1 AND e.aggregate_id = ids.id \
                   AND e.sequence > COALESCE( \
                     (SELECT sn.sequence FROM snap sn WHERE sn.aggregate_id = ids.id), 0)) e \
             ORDER BY aggregate_id, kind, sequence",
        )
        .bind(A::TYPE)
        .bind(ids)
        .bind(A::SNAPSHOT_VERSION)
        .fetch_all(db)
        .await?;
        let mut out: HashMap<String, StreamContext<A>> = HashMap::new();
        for r in rows {
            let kind: i32 = r.try_get("kind")?;
            let id: String = r.try_get("aggregate_id")?;
            let sequence: i64 = r.try_get("sequence")?;
            let hash = to_hash(r.try_get("hash")?)?;
            let payload: Value = r.try_get("payload")?;
            let ctx = out.entry(id.clone()).or_insert_with(|| empty(&id));
            fold_row(ctx, kind, sequence, hash, payload)?;
        }
        Ok(out)
    }

    /// Earlier events stored under any of `keys` (stream id, key) pairs.
    pub async fn earlier_facts(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<EarlierFact<A::Event>>, StoreError> {
        self.earlier_facts_in(&self.pool, keys).await
    }

    /// [`Self::earlier_facts`] on a given connection or transaction.
    pub async fn earlier_facts_in<'e>(
        &self,
        db: impl PgExecutor<'e>,
        keys: &[(String, String)],
    ) -> Result<Vec<EarlierFact<A::Event>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (ids, ks): (Vec<&str>, Vec<&str>) =
            keys.iter().map(|(i, k)| (i.as_str(), k.as_str())).unzip();
        let rows = sqlx::query(
            "SELECT e.aggregate_id, e.dedup_key, e.sequence, e.payload FROM events e \
             JOIN unnest($2::text[], $3::text[]) AS k(id, key) \
               ON e.aggregate_id = k.id AND e.dedup_key = k.key AND e.dedup_key IS NOT NULL \
             WHERE e.aggregate_type = $1",
        )
        .bind(A::TYPE)
        .bind(&ids)
        .bind(&ks)
        .fetch_all(db)
        .await?;
        rows.into_iter()
            .map(|r| {
                let aggregate_id: String = r.try_get("aggregate_id")?;
                let sequence: i64 = r.try_get("sequence")?;
                let event = serde_json::from_value(r.try_get("payload")?).map_err(|e| {
                    StoreError::Corrupt(format!("event {aggregate_id}#{sequence}: {e}"))
                })?;
                Ok(EarlierFact {
                    key: r.try_get("dedup_key")?,
                    aggregate_id,
                    sequence,
                    event,
                })
            })
            .collect()
    }

    /// Appends the events of many streams in one statement (one commit).
    /// Fails whole with [`StoreError::Conflict`] when any stream moved on.
    pub async fn append(
        &self,
        commits: Vec<PendingCommit<A>>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        let committed = self.append_in(&self.pool, commits).await?;
        self.committed();
        Ok(committed)
    }

    /// Tells log readers that events were committed (after a transaction
    /// that used [`Self::append_in`] commits).
    pub fn committed(&self) {
        if let Some(n) = &self.notifier {
            n.poke();
        }
    }

    /// [`Self::append`] on a given connection or transaction; the caller
    /// commits and then calls [`Self::committed`].
    pub async fn append_in<'e>(
        &self,
        db: impl PgExecutor<'e>,
        commits: Vec<PendingCommit<A>>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        let mut ev = EventColumns::default();
        let mut snap = SnapshotColumns::default();
        // Rows go in stream-id order: two commits touching the same streams
        // then wait on each other's unique keys in the same order and one of
        // them gets a clean conflict, instead of a deadlock.
        let mut commits = commits;
        commits.sort_by(|a, b| a.context.aggregate_id.cmp(&b.context.aggregate_id));
        for commit in commits.into_iter().filter(|c| !c.events.is_empty()) {
            let ctx = commit.context;
            let mut previous = ctx.last_hash;
            let mut sequence = ctx.version;
            for event in commit.events {
                sequence += 1;
                let mut metadata = commit.metadata.clone();
                metadata.insert(
                    "occurred_at".into(),
                    Value::String(A::occurred_at(&event).to_rfc3339()),
                );
                let metadata = Value::Object(metadata);
                let payload = serde_json::to_value(&event)
                    .map_err(|e| StoreError::Corrupt(format!("serialising an event: {e}")))?;
                let (event_type, event_version) = (event.event_type(), event.event_version());
                previous = hash::chain(
                    &previous,
                    &hash::EventBytes {
                        aggregate_type: A::TYPE,
                        aggregate_id: &ctx.aggregate_id,
                        sequence,
                        event_type: &event_type,
                        event_version: &event_version,
                        payload: &payload,
                        metadata: &metadata,
                    },
                );
                ev.ids.push(ctx.aggregate_id.clone());
                ev.sequences.push(sequence);
                ev.types.push(event_type);
                ev.versions.push(event_version);
                ev.payloads.push(payload);
                ev.metadata.push(metadata);
                ev.dedup_keys.push(A::event_dedup_key(&event));
                ev.hashes.push(previous.to_vec());
            }
            let crossed = self.snapshot_every > 0
                && sequence / self.snapshot_every > ctx.version / self.snapshot_every;
            if crossed {
                snap.ids.push(ctx.aggregate_id.clone());
                snap.sequences.push(sequence);
                snap.hashes.push(previous.to_vec());
                snap.payloads
                    .push(serde_json::to_value(&ctx.aggregate).map_err(|e| {
                        StoreError::Corrupt(format!("serialising a snapshot: {e}"))
                    })?);
            }
        }
        if ev.ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "WITH ins AS ( \
               INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                                   payload, metadata, dedup_key, hash) \
               SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], \
                                        $6::jsonb[], $7::jsonb[], $8::text[], $9::bytea[]) \
               RETURNING aggregate_id, sequence, global_position, hash), \
             snap AS ( \
               INSERT INTO snapshots (aggregate_type, aggregate_id, snapshot_version, sequence, last_hash, payload) \
               SELECT $1, id, $10, seq, h, p \
               FROM unnest($11::text[], $12::bigint[], $13::bytea[], $14::jsonb[]) AS u(id, seq, h, p) \
               ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
                 SET snapshot_version = EXCLUDED.snapshot_version, sequence = EXCLUDED.sequence, \
                     last_hash = EXCLUDED.last_hash, payload = EXCLUDED.payload \
                 WHERE snapshots.sequence < EXCLUDED.sequence \
                    OR snapshots.snapshot_version <> EXCLUDED.snapshot_version) \
             SELECT aggregate_id, sequence, global_position, hash FROM ins",
        )
        .bind(A::TYPE)
        .bind(&ev.ids)
        .bind(&ev.sequences)
        .bind(&ev.types)
        .bind(&ev.versions)
        .bind(&ev.payloads)
        .bind(&ev.metadata)
        .bind(&ev.dedup_keys)
        .bind(&ev.hashes)
        .bind(A::SNAPSHOT_VERSION)
        .bind(&snap.ids)
        .bind(&snap.sequences)
        .bind(&snap.hashes)
        .bind(&snap.payloads)
        .fetch_all(db)
        .await
        .map_err(StoreError::from_write)?;
        let mut committed = rows
            .into_iter()
            .map(|r| {
                Ok(CommittedEvent {
                    aggregate_id: r.try_get("aggregate_id")?,
                    sequence: r.try_get("sequence")?,
                    global_position: r.try_get("global_position")?,
                    hash: to_hash(r.try_get("hash")?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        committed.sort_by_key(|c| c.global_position);
        Ok(committed)
    }

    /// Takes transaction-scoped advisory locks on the streams, always in the
    /// same order, so concurrent batches over overlapping customers queue
    /// behind each other instead of each deciding, conflicting and retrying.
    pub async fn lock_streams_in(
        &self,
        tx: &mut sqlx::PgConnection,
        ids: &[String],
    ) -> Result<(), StoreError> {
        use sha2::{Digest, Sha256};
        let mut keys: Vec<i64> = ids
            .iter()
            .map(|id| {
                let h = Sha256::digest(format!("{}:{id}", A::TYPE).as_bytes());
                i64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // unnest yields rows in array order, so the locks are taken sorted.
        sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k")
            .bind(&keys)
            .execute(tx)
            .await?;
        Ok(())
    }

    /// Every event of one stream, in order (full replay; audits and tests).
    pub async fn stream_events(&self, id: &str) -> Result<Vec<(i64, A::Event)>, StoreError> {
        let rows = sqlx::query(
            "SELECT sequence, payload FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
        )
        .bind(A::TYPE)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let sequence: i64 = r.try_get("sequence")?;
                let event = serde_json::from_value(r.try_get("payload")?)
                    .map_err(|e| StoreError::Corrupt(format!("event {id}#{sequence}: {e}")))?;
                Ok((sequence, event))
            })
            .collect()
    }
}

#[derive(Default)]
struct EventColumns {
    ids: Vec<String>,
    sequences: Vec<i64>,
    types: Vec<String>,
    versions: Vec<String>,
    payloads: Vec<Value>,
    metadata: Vec<Value>,
    dedup_keys: Vec<Option<String>>,
    hashes: Vec<Vec<u8>>,
}

#[derive(Default)]
struct SnapshotColumns {
    ids: Vec<String>,
    sequences: Vec<i64>,
    hashes: Vec<Vec<u8>>,
    payloads: Vec<Value>,
}

/// Applies one loaded row: a snapshot (kind 1) or the next event (kind 2).
fn fold_row<A: Aggregate>(
    ctx: &mut StreamContext<A>,
    kind: i32,
    sequence: i64,
    hash: [u8; 32],
    payload: Value,
) -> Result<(), StoreError> {
    let id = &ctx.aggregate_id;
    if kind == 1 {
        ctx.aggregate = serde_json::from_value(payload)
            .map_err(|e| StoreError::Corrupt(format!("snapshot of {id}: {e}")))?;
    } else {
        if sequence != ctx.version + 1 {
            return Err(StoreError::Corrupt(format!(
                "stream {id} jumps from {} to {sequence}",
                ctx.version
            )));
        }
        let event: A::Event = serde_json::from_value(payload)
            .map_err(|e| StoreError::Corrupt(format!("event {id}#{sequence}: {e}")))?;
        ctx.aggregate.apply(event);
    }
    ctx.version = sequence;
    ctx.last_hash = hash;
    Ok(())
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

fn metadata_object(map: HashMap<String, String>) -> Map<String, Value> {
    map.into_iter()
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

impl<A: Stream> EventStore<A> for PgEventStore<A> {
    type AC = StreamContext<A>;

    async fn load_events(
        &self,
        id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        Ok(self
            .stream_events(id)
            .await?
            .into_iter()
            .map(|(sequence, payload)| EventEnvelope {
                aggregate_id: id.to_owned(),
                sequence: sequence as usize,
                payload,
                metadata: HashMap::new(),
            })
            .collect())
    }

    async fn load_aggregate(&self, id: &str) -> Result<StreamContext<A>, AggregateError<A::Error>> {
        Ok(self.load(id).await?)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: StreamContext<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let id = context.aggregate_id.clone();
        let first = context.version;
        let envelopes: Vec<EventEnvelope<A>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| EventEnvelope {
                aggregate_id: id.clone(),
                sequence: (first + 1) as usize + i,
                payload: e.clone(),
                metadata: metadata.clone(),
            })
            .collect();
        self.append(vec![PendingCommit {
            context,
            events,
            metadata: metadata_object(metadata),
        }])
        .await?;
        Ok(envelopes)
    }
}
