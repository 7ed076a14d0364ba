//! Reading streams: one stream with the facts a command collides with, many
//! streams at once (batches), earlier facts by key, and full histories.

use std::collections::HashMap;

use cqrs_es::Aggregate;
use sqlx::{PgExecutor, Row};

use super::{empty, to_hash, EarlierFact, PgEventStore, StoreError, StreamContext};
use crate::stream::Stream;

impl<A: Stream> PgEventStore<A> {
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
             SELECT 1 AS kind, sequence, last_hash AS hash, payload::text AS payload, NULL::text AS dedup_key FROM snap \
             UNION ALL \
             SELECT 2, sequence, hash, payload::text, NULL FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 \
               AND sequence > COALESCE((SELECT sequence FROM snap), 0) \
             UNION ALL \
             SELECT 3, sequence, hash, payload::text, dedup_key FROM events \
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
            let payload: &str = r.try_get("payload")?;
            if kind == 3 {
                let event = serde_json::from_str(payload)
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
             SELECT 1 AS kind, aggregate_id, sequence, last_hash AS hash, payload::text AS payload FROM snap \
             UNION ALL \
             SELECT 2, e.aggregate_id, e.sequence, e.hash, e.payload::text FROM ids \
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
            let payload: &str = r.try_get("payload")?;
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
            "SELECT e.aggregate_id, e.dedup_key, e.sequence, e.payload::text AS payload FROM events e \
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
                let event =
                    serde_json::from_str(r.try_get::<&str, _>("payload")?).map_err(|e| {
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

    /// Every event of one stream, in order (full replay; audits and tests).
    pub async fn stream_events(&self, id: &str) -> Result<Vec<(i64, A::Event)>, StoreError> {
        let rows = sqlx::query(
            "SELECT sequence, payload::text AS payload FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
        )
        .bind(A::TYPE)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let sequence: i64 = r.try_get("sequence")?;
                let event = serde_json::from_str(r.try_get::<&str, _>("payload")?)
                    .map_err(|e| StoreError::Corrupt(format!("event {id}#{sequence}: {e}")))?;
                Ok((sequence, event))
            })
            .collect()
    }
}

/// Applies one loaded row: a snapshot (kind 1) or the next event (kind 2).
fn fold_row<A: Aggregate>(
    ctx: &mut StreamContext<A>,
    kind: i32,
    sequence: i64,
    hash: [u8; 32],
    payload: &str,
) -> Result<(), StoreError> {
    // Payloads come as JSON text and are decoded straight into the
    // aggregate's types: building a generic JSON tree first was the largest
    // cost of loading streams.
    let id = &ctx.aggregate_id;
    if kind == 1 {
        ctx.aggregate = serde_json::from_str(payload)
            .map_err(|e| StoreError::Corrupt(format!("snapshot of {id}: {e}")))?;
    } else {
        if sequence != ctx.version + 1 {
            return Err(StoreError::Corrupt(format!(
                "stream {id} jumps from {} to {sequence}",
                ctx.version
            )));
        }
        let event: A::Event = serde_json::from_str(payload)
            .map_err(|e| StoreError::Corrupt(format!("event {id}#{sequence}: {e}")))?;
        ctx.aggregate.apply(event);
    }
    ctx.version = sequence;
    ctx.last_hash = hash;
    Ok(())
}
