//! Rebuild: replay the whole log into fresh copies of a projection's tables,
//! in batches of their own transactions (no long transaction holding the log
//! readers back), then — under the projection's lock, so the live runner
//! pauses — apply the last few events and swap the copies in. The API keeps
//! reading the old tables until the swap. A projection may carry state in
//! memory from one replayed batch to the next
//! ([`Projection::apply_rebuilding`]) and write it once at the end.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sqlx::PgPool;
use store::events::horizon::declare_log_reader;
use store::events::log::read_all;
use store::Checkpoint;

use crate::projection::{Projection, ProjectionError, Tables};
use crate::runner::lock_projection;

const SUFFIX: &str = "__rebuild";

/// What a rebuild did.
#[derive(Clone, Debug, Serialize)]
pub struct RebuildReport {
    /// Projection name.
    pub projection: &'static str,
    /// Events replayed.
    pub events: u64,
    /// Wall time.
    pub seconds: f64,
    /// Throughput.
    pub events_per_sec: f64,
}

/// Rebuilds `projection` from the log and swaps the result in atomically.
pub async fn rebuild<P: Projection>(
    pool: &PgPool,
    projection: &P,
    batch: i64,
    progress: bool,
) -> Result<RebuildReport, ProjectionError> {
    let started = Instant::now();
    let fresh = Tables::suffixed(P::TABLES, SUFFIX);
    for (logical, physical) in fresh.pairs() {
        sqlx::query(&format!("DROP TABLE IF EXISTS {physical}"))
            .execute(pool)
            .await?;
        sqlx::query(&format!(
            "CREATE TABLE {physical} (LIKE {logical} INCLUDING ALL)"
        ))
        .execute(pool)
        .await?;
    }
    // Secondary (non-unique) indexes are built once at the end, from sorted
    // data, instead of being updated row by row through the whole replay;
    // unique ones stay, since upserts resolve conflicts through them.
    let mut deferred: Vec<String> = Vec::new();
    for (_, physical) in fresh.pairs() {
        let defs: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = $1::regclass AND NOT i.indisunique",
        )
        .bind(physical)
        .fetch_all(pool)
        .await?;
        for (name, def) in defs {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(pool)
                .await?;
            deferred.push(def);
        }
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    let bar = if progress {
        ProgressBar::new(total.max(0) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} {bar:40} {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(P::NAME);
    let mut at = Checkpoint::START;
    let mut events_done = 0u64;
    // The next batch is read (and decoded) on another connection while this
    // one is applied: the database's work and ours overlap instead of
    // taking turns. Reading needs no transaction of its own — `read_all`
    // only returns events every reader will see in the same order.
    let read = |from: Checkpoint| {
        let pool = pool.clone();
        tokio::spawn(async move { read_all(&pool, from, batch).await })
    };
    let mut memory = P::RebuildMemory::default();
    let mut events = read_all(pool, at, batch).await?;
    while let Some(last) = events.last() {
        at = last.checkpoint;
        let next = read(at);
        let mut tx = pool.begin().await?;
        // A rebuild's batches write for a while: declared, they hold no
        // live reader back meanwhile.
        declare_log_reader(&mut tx).await?;
        projection
            .apply_rebuilding(&mut tx, &fresh, &events, &mut memory)
            .await?;
        tx.commit().await?;
        events_done += events.len() as u64;
        bar.inc(events.len() as u64);
        events = next
            .await
            .map_err(|e| ProjectionError::Unavailable(format!("log reader stopped: {e}")))??;
    }
    // What the replay kept in memory goes to the tables before their indexes
    // are built; the last events, under the lock, are applied as usual.
    let mut tx = pool.begin().await?;
    declare_log_reader(&mut tx).await?;
    projection.finish_rebuild(&mut tx, &fresh, memory).await?;
    tx.commit().await?;
    for def in &deferred {
        sqlx::query(def).execute(pool).await?;
    }
    // Swap under the projection's lock: the live runner waits, then carries
    // on from the rebuilt checkpoint.
    let mut tx = pool.begin().await?;
    lock_projection(&mut tx, P::NAME).await?;
    declare_log_reader(&mut tx).await?;
    loop {
        let events = read_all(&mut *tx, at, batch).await?;
        let Some(last) = events.last() else { break };
        at = last.checkpoint;
        projection.apply(&mut tx, &fresh, &events).await?;
        events_done += events.len() as u64;
        bar.inc(events.len() as u64);
    }
    for (logical, physical) in fresh.pairs() {
        sqlx::query(&format!("ALTER TABLE {logical} RENAME TO {logical}__old"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {physical} RENAME TO {logical}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP TABLE {logical}__old"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, tx_id, position, events_applied) \
         VALUES ($1, $2::text::xid8, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, \
           events_applied = EXCLUDED.events_applied, updated_at = now(), last_error = NULL, failed_at = NULL",
    )
    .bind(P::NAME)
    .bind(at.tx_id.to_string())
    .bind(at.position)
    .bind(events_done as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    Ok(RebuildReport {
        projection: P::NAME,
        events: events_done,
        seconds,
        events_per_sec: events_done as f64 / seconds.max(1e-9),
    })
}
