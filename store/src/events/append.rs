//! Writing streams: the hash-chained events of many streams, and snapshots
//! where an interval is crossed, in one statement; stream locks for batches.

use cqrs_es::DomainEvent;
use serde_json::Value;
use sqlx::{PgExecutor, Row};

use super::{hash, to_hash, CommittedEvent, PendingCommit, PgEventStore, StoreError};
use crate::stream::Stream;

impl<A: Stream> PgEventStore<A> {
    /// Appends the events of many streams in one statement (one commit).
    /// Fails whole with [`StoreError::Conflict`] when any stream moved on.
    pub async fn append(
        &self,
        commits: Vec<PendingCommit<A>>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        self.append_all(commits.iter().collect()).await
    }

    /// [`Self::append`] of borrowed commits (the group committer keeps them
    /// to retry one by one when the group as a whole conflicts).
    pub(crate) async fn append_all(
        &self,
        commits: Vec<&PendingCommit<A>>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        let committed = self.append_refs(&self.pool, commits).await?;
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
        self.append_refs(db, commits.iter().collect()).await
    }

    async fn append_refs<'e>(
        &self,
        db: impl PgExecutor<'e>,
        commits: Vec<&PendingCommit<A>>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        let mut ev = EventColumns::default();
        let mut snap = SnapshotColumns::default();
        // Rows go in stream-id order: two commits touching the same streams
        // then wait on each other's unique keys in the same order and one of
        // them gets a clean conflict, instead of a deadlock.
        let mut commits = commits;
        commits.sort_by(|a, b| a.context.aggregate_id.cmp(&b.context.aggregate_id));
        for commit in commits.into_iter().filter(|c| !c.events.is_empty()) {
            let ctx = &commit.context;
            let mut previous = ctx.last_hash;
            let mut sequence = ctx.version;
            for event in &commit.events {
                sequence += 1;
                let mut metadata = commit.metadata.clone();
                metadata.insert(
                    "occurred_at".into(),
                    Value::String(A::occurred_at(event).to_rfc3339()),
                );
                let metadata = Value::Object(metadata);
                let payload = serde_json::to_value(event)
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
                ev.dedup_keys.push(A::event_dedup_key(event));
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
        // One `recorded_at` for every row of the statement: a group commit
        // writes many customers' events, and each of them was recorded — and
        // becomes visible — with the whole statement, not row by row (the
        // auditor's "as of" counts a transaction once all of it is recorded).
        let rows = sqlx::query(
            "WITH now AS MATERIALIZED (SELECT clock_timestamp() AS at), \
             ins AS ( \
               INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                                   payload, metadata, dedup_key, hash, recorded_at) \
               SELECT $1, u.*, now.at FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], \
                                        $6::jsonb[], $7::jsonb[], $8::text[], $9::bytea[]) AS u, now \
               RETURNING aggregate_id, sequence, event_type, global_position, hash), \
             snap AS ( \
               INSERT INTO snapshots (aggregate_type, aggregate_id, snapshot_version, sequence, last_hash, payload) \
               SELECT $1, id, $10, seq, h, p \
               FROM unnest($11::text[], $12::bigint[], $13::bytea[], $14::jsonb[]) AS u(id, seq, h, p) \
               ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
                 SET snapshot_version = EXCLUDED.snapshot_version, sequence = EXCLUDED.sequence, \
                     last_hash = EXCLUDED.last_hash, payload = EXCLUDED.payload \
                 WHERE snapshots.sequence < EXCLUDED.sequence \
                    OR snapshots.snapshot_version <> EXCLUDED.snapshot_version) \
             SELECT aggregate_id, sequence, event_type, global_position, hash FROM ins",
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
                    event_type: r.try_get("event_type")?,
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
