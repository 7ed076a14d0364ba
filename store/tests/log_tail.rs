//! The shared stretch of the log: readers inside it are served from memory,
//! and whatever mix of memory and database a reader gets, it sees exactly
//! the log in commit order — nothing skipped, nothing twice — also when
//! transactions commit late and many writers and readers run at once.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use store::events::log::{read_all, Checkpoint};
use store::events::tail::LogTail;
use store::testing::fresh_database;

/// How long an awaited condition may take before the test fails (the
/// horizon is cluster-wide, and CI is a slow machine).
const PATIENCE: Duration = Duration::from_secs(30);

/// A pool that can no longer reach the database: a read through it
/// succeeds only if it is served from memory.
async fn closed_pool(url: &str) -> PgPool {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect");
    pool.close().await;
    pool
}

/// Waits until the first `n` events are readable. The horizon is
/// cluster-wide: another test's open transaction holds it back a while.
async fn settle(pool: &PgPool, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let read = read_all(pool, Checkpoint::START, n as i64)
            .await
            .expect("read")
            .len();
        if read == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the first {n} events never became readable within {PATIENCE:?} ({read} were)"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Stores `n` events of one stream, each in its own transaction, and waits
/// until they are all readable.
async fn committed_probes(db: &store::testing::TestDatabase, n: i64) {
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    for seq in 1..=n {
        insert_raw(&mut conn, "P1", seq).await;
    }
    settle(&db.pool, n as usize).await;
}

fn positions(events: &[store::RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.checkpoint.position).collect()
}

#[tokio::test]
async fn a_reader_inside_the_stretch_is_served_from_memory_and_one_outside_from_the_database() {
    let db = fresh_database().await;
    committed_probes(&db, 10).await;
    let offline = closed_pool(&db.url).await;
    let tail = LogTail::new(100);
    // The head reads the database, four at a time.
    let first = tail
        .read(&db.pool, Checkpoint::START, 4)
        .await
        .expect("read");
    let second = tail
        .read(&db.pool, first[3].checkpoint, 4)
        .await
        .expect("read");
    assert_eq!(tail.len(), 8);
    // A reader behind the head gets the same events without the database.
    let behind = tail
        .read(&offline, Checkpoint::START, 100)
        .await
        .expect("served from memory");
    let expected = read_all(&db.pool, Checkpoint::START, 8)
        .await
        .expect("read");
    assert_eq!(behind, expected);
    assert_eq!(
        positions(&behind),
        [positions(&first), positions(&second)].concat()
    );
    let middle = tail
        .read(&offline, first[1].checkpoint, 3)
        .await
        .expect("served from memory");
    assert_eq!(middle, expected[2..5].to_vec());
    // At the end of the stretch, only the database can say what follows.
    assert!(tail.read(&offline, second[3].checkpoint, 4).await.is_err());
    let rest = tail
        .read(&db.pool, second[3].checkpoint, 4)
        .await
        .expect("read");
    assert_eq!(rest.len(), 2);
    assert_eq!(tail.len(), 10);
}

#[tokio::test]
async fn a_trimmed_stretch_sends_a_reader_behind_it_to_the_database() {
    let db = fresh_database().await;
    committed_probes(&db, 8).await;
    let offline = closed_pool(&db.url).await;
    let tail = LogTail::new(5);
    let all = tail
        .read(&db.pool, Checkpoint::START, 8)
        .await
        .expect("read");
    assert_eq!(all.len(), 8);
    assert_eq!(tail.len(), 5);
    // The first three are gone from memory: not served, not skipped.
    assert!(tail.read(&offline, Checkpoint::START, 8).await.is_err());
    assert!(tail.read(&offline, all[1].checkpoint, 8).await.is_err());
    // From the start of what is kept, memory serves.
    let kept = tail
        .read(&offline, all[2].checkpoint, 8)
        .await
        .expect("served from memory");
    assert_eq!(kept, all[3..].to_vec());
}

#[tokio::test]
async fn a_reader_ahead_of_the_stretch_starts_it_afresh_rather_than_leave_a_gap() {
    let db = fresh_database().await;
    committed_probes(&db, 10).await;
    let offline = closed_pool(&db.url).await;
    let tail = LogTail::new(100);
    let head = tail
        .read(&db.pool, Checkpoint::START, 3)
        .await
        .expect("read");
    // A reader that got to the sixth event elsewhere (a runner in another
    // process, a restart) reads on through the tail.
    let elsewhere = read_all(&db.pool, Checkpoint::START, 6)
        .await
        .expect("read");
    let ahead = tail
        .read(&db.pool, elsewhere[5].checkpoint, 10)
        .await
        .expect("read");
    assert_eq!(ahead.len(), 4);
    // Events 4 to 6 were never in memory: the reader at the third must not
    // be served the seventh next.
    assert!(tail.read(&offline, head[2].checkpoint, 10).await.is_err());
    let from_ahead = tail
        .read(&offline, elsewhere[5].checkpoint, 10)
        .await
        .expect("served from memory");
    assert_eq!(from_ahead, ahead);
}

#[tokio::test]
async fn an_event_whose_transaction_commits_late_is_neither_skipped_nor_served_early() {
    let db = fresh_database().await;
    let mut slow = PgConnection::connect(&db.url).await.expect("connect");
    let mut fast = PgConnection::connect(&db.url).await.expect("connect");
    let offline = closed_pool(&db.url).await;
    let tail = LogTail::new(100);
    insert_raw(&mut fast, "first", 1).await;
    settle(&db.pool, 1).await;
    let head = tail
        .read(&db.pool, Checkpoint::START, 10)
        .await
        .expect("read");
    assert_eq!(head.len(), 1);
    // The slow transaction takes the earlier position but has not committed.
    begin_late_commit(&mut slow, &mut fast).await;
    let blocked = tail
        .read(&db.pool, head[0].checkpoint, 10)
        .await
        .expect("read");
    assert!(
        blocked.is_empty(),
        "the reader must wait for the slow transaction"
    );
    sqlx::query("COMMIT")
        .execute(&mut slow)
        .await
        .expect("commit");
    let mut after = head[0].checkpoint;
    let mut late = Vec::new();
    // xmin is cluster-wide: another test's transaction may hold it a while.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let batch = tail.read(&db.pool, after, 10).await.expect("read");
        if let Some(last) = batch.last() {
            after = last.checkpoint;
        }
        late.extend(batch);
        if late.len() >= 2 {
            break;
        }
        let ids: Vec<&str> = late.iter().map(|e| e.aggregate_id.as_str()).collect();
        assert!(
            Instant::now() < deadline,
            "the two events were not both readable within {PATIENCE:?}; read so far: {ids:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let ids: Vec<&str> = late.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(ids, ["slow", "fast"], "commit order, the late one first");
    let replay = tail
        .read(&offline, Checkpoint::START, 10)
        .await
        .expect("served from memory");
    assert_eq!(
        replay,
        read_all(&db.pool, Checkpoint::START, 10)
            .await
            .expect("read")
    );
}

#[tokio::test]
async fn readers_sharing_a_stretch_each_see_the_whole_log_in_commit_order_under_concurrent_writers()
{
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    for c in 0..8 {
        let id = format!("C{c}");
        bus.execute(&id, addressed(&id, register()), &meta())
            .await
            .expect("register");
    }
    // Small, so it is trimmed many times over while readers use it.
    let tail = Arc::new(LogTail::new(16));
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = [37, 5, 100]
        .into_iter()
        .map(|batch| {
            tokio::spawn(follow(
                db.pool.clone(),
                Some(tail.clone()),
                batch,
                done.clone(),
            ))
        })
        .collect();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let bus = bus.clone();
            tokio::spawn(async move {
                for i in 0..30 {
                    let id = format!("C{}", (w + i) % 8);
                    let txn = purchase(&format!("W{w}-{i}"), 100, i);
                    match bus.execute(&id, addressed(&id, txn), &meta()).await {
                        Ok(_) | Err(store::CommandError::Conflict) => {}
                        Err(e) => panic!("write failed: {e}"),
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let log = positions(
        &read_all(&db.pool, Checkpoint::START, 1_000_000)
            .await
            .expect("read"),
    );
    assert!(log.len() > 8, "the writers wrote");
    for r in readers {
        let seen = r.await.expect("reader");
        assert_eq!(
            seen, log,
            "a reader saw something other than the log in commit order"
        );
    }
}
