//! Snapshots keep a command's cost flat in the length of the stream.
//!
//! On a fresh database of the real test PostgreSQL (`store::testing`), three
//! customers are prepared:
//!
//! - `SMALL`: 10 events (registration + 9 purchases);
//! - `LARGE`: 10,000 events, stored with the default snapshot interval;
//! - `LARGE_NOSNAP`: 10,000 events with no snapshot rows, handled through a
//!   store that never snapshots — every command replays the whole stream.
//!
//! Each measurement of the `command_latency` group runs one new
//! `RecordTransaction` (a fresh transaction id, a later `occurred_at`) through
//! `CommandBus::execute`: load, decide, append. `10_events` and
//! `10000_events` should come out about the same; `10000_events_no_snapshots`
//! shows what a full replay would cost instead.
//!
//! Every iteration appends one event, so the streams grow while measured
//! (`SMALL` ends with a few thousand events): with snapshots this does not
//! matter, which is the point; the no-snapshot stream grows by a few percent.
//!
//! Run with `cargo bench -p store --bench snapshots`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use domain::Customer;
use sqlx::PgPool;
use store::testing::fresh_database;
use store::{CommandBus, PgEventStore};

// The same command builders as the integration tests.
#[path = "../tests/common/mod.rs"]
mod common;
use common::{addressed, meta, purchase, register};

/// Events per `execute_batch` call while seeding.
const SEED_CHUNK: i64 = 2_000;

/// Registers `id` and records purchases until the stream holds `events`
/// events, in batches of [`SEED_CHUNK`].
async fn seed(bus: &CommandBus<Customer>, id: &str, events: i64) {
    bus.execute(id, addressed(id, register()), &meta())
        .await
        .expect("register");
    let mut next = 1;
    while next < events {
        let end = (next + SEED_CHUNK).min(events);
        let items = (next..end)
            .map(|i| {
                (
                    id.to_owned(),
                    addressed(id, purchase(&format!("SEED-{i}"), 100 + i % 900, i)),
                )
            })
            .collect();
        bus.execute_batch(items, &meta()).await.expect("seed batch");
        next = end;
    }
}

async fn count(pool: &PgPool, sql: &str, id: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn events_of(pool: &PgPool, id: &str) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM events WHERE aggregate_id = $1",
        id,
    )
    .await
}

async fn snapshots_of(pool: &PgPool, id: &str) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM snapshots WHERE aggregate_id = $1",
        id,
    )
    .await
}

struct Setup {
    snapshotting: CommandBus<Customer>,
    replaying: CommandBus<Customer>,
}

async fn setup() -> Setup {
    let db = fresh_database().await;
    // The in-memory stream cache is off: every command loads its stream, so
    // the figures show what snapshots save on a load.
    let snapshotting = CommandBus::new(PgEventStore::new(db.pool.clone())).with_cache_capacity(0);
    let replaying = CommandBus::new(PgEventStore::with_snapshot_every(db.pool.clone(), 0))
        .with_cache_capacity(0);

    seed(&snapshotting, "SMALL", 10).await;
    seed(&snapshotting, "LARGE", 10_000).await;
    seed(&replaying, "LARGE_NOSNAP", 10_000).await;
    sqlx::query("DELETE FROM snapshots WHERE aggregate_id = 'LARGE_NOSNAP'")
        .execute(&db.pool)
        .await
        .expect("drop LARGE_NOSNAP's snapshots");

    for (id, events, snapshotted) in [
        ("SMALL", 10, false),
        ("LARGE", 10_000, true),
        ("LARGE_NOSNAP", 10_000, false),
    ] {
        assert_eq!(events_of(&db.pool, id).await, events, "{id}'s events");
        assert_eq!(
            snapshots_of(&db.pool, id).await > 0,
            snapshotted,
            "{id}'s snapshot"
        );
    }
    eprintln!(
        "seeded SMALL (10 events), LARGE (10,000 events, snapshotted) and \
         LARGE_NOSNAP (10,000 events, no snapshots) in database {}",
        db.name
    );
    Setup {
        snapshotting,
        replaying,
    }
}

fn command_latency(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let Setup {
        snapshotting,
        replaying,
    } = runtime.block_on(setup());
    // Unique transaction ids and ever later timestamps, across all benches.
    let counter = AtomicI64::new(0);

    let mut group = c.benchmark_group("command_latency");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    for (name, bus, id) in [
        ("10_events", &snapshotting, "SMALL"),
        ("10000_events", &snapshotting, "LARGE"),
        ("10000_events_no_snapshots", &replaying, "LARGE_NOSNAP"),
    ] {
        let counter = &counter;
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async move {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let outcome = bus
                    .execute(
                        id,
                        addressed(id, purchase(&format!("BENCH-{n}"), 1_000, 100_000 + n)),
                        &meta(),
                    )
                    .await
                    .expect("record transaction");
                assert_eq!(outcome.recorded.len(), 1, "one new event per command");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, command_latency);
criterion_main!(benches);
