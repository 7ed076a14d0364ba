//! The global read in commit order: nothing skipped when a transaction that
//! took an earlier position commits late, nothing read twice, under many
//! concurrent writers and a concurrent reader.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use sqlx::{Connection, PgConnection};
use store::events::log::{read_all, Checkpoint};
use store::testing::{fresh_database, read_until};

#[tokio::test]
async fn an_event_whose_transaction_commits_late_is_not_skipped() {
    let db = fresh_database().await;
    let mut slow = PgConnection::connect(&db.url).await.expect("connect");
    let mut fast = PgConnection::connect(&db.url).await.expect("connect");
    // The slow transaction takes the earlier position but has not committed;
    // while it runs, the reader must not move past it.
    begin_late_commit(&mut slow, &mut fast).await;
    let first = read_all(&db.pool, Checkpoint::START, 100)
        .await
        .expect("read");
    assert!(
        first.is_empty(),
        "read past a running transaction: {first:?}"
    );
    sqlx::query("COMMIT")
        .execute(&mut slow)
        .await
        .expect("commit");
    // Awaited: the other test here writes concurrently, and any running
    // transaction in the cluster holds the horizon for a moment.
    let all = read_until(&db.pool, Checkpoint::START, |e| e.len() >= 2).await;
    let ids: Vec<&str> = all.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(ids, vec!["slow", "fast"], "commit order, both present");
    let after = read_all(&db.pool, all[1].checkpoint, 100)
        .await
        .expect("read");
    assert!(after.is_empty(), "nothing is read twice");
}

#[tokio::test]
async fn every_event_is_read_exactly_once_under_concurrent_writers() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    for c in 0..8 {
        let id = format!("C{c}");
        bus.execute(&id, addressed(&id, register()), &meta())
            .await
            .expect("register");
    }
    let done = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(follow(db.pool.clone(), None, 37, done.clone()));
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let bus = bus.clone();
            tokio::spawn(async move {
                let mut acknowledged = 0i64;
                for i in 0..40 {
                    let id = format!("C{}", (w + i) % 8);
                    let txn = purchase(&format!("W{w}-{i}"), 100, i);
                    match bus.execute(&id, addressed(&id, txn), &meta()).await {
                        Ok(_) => acknowledged += 1,
                        // A clean refusal after bounded retries is allowed;
                        // it must then have stored nothing (checked below).
                        Err(store::CommandError::Conflict) => {}
                        Err(e) => panic!("write failed: {e}"),
                    }
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = 0;
    for w in writers {
        acknowledged += w.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.expect("reader");
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an event was read twice");
    let stored: Vec<i64> = sqlx::query_scalar("SELECT global_position FROM events")
        .fetch_all(&db.pool)
        .await
        .expect("positions");
    assert_eq!(
        stored.len() as i64,
        8 + acknowledged,
        "acknowledged writes and stored events differ"
    );
    assert_eq!(
        unique,
        stored.into_iter().collect::<HashSet<_>>(),
        "an event was skipped"
    );
}
