//! Group commit: commands that queue while the database is busy go out in
//! one statement and one commit, and each is still answered with exactly its
//! own events — or its own conflict, never a neighbour's.
//!
//! The database is held busy by a table lock taken in the test, so which
//! commands share a group is decided by the test, not by timing.

mod common;

use std::time::Duration;

use common::*;
use domain::Customer;
use sqlx::{PgPool, Row};
use store::testing::fresh_database;
use store::{CommandBus, CommandError};

/// Holds every append back (reads go on) until the returned transaction ends.
async fn hold_appends(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .expect("lock");
    tx
}

/// Polls until `ready` holds (a condition, not a duration: the deadline only
/// turns a hang into a failure).
async fn until(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !ready().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn appends_blocked(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO events%'",
    )
    .fetch_one(pool)
    .await
    .expect("activity")
}

async fn register_all(bus: &CommandBus<Customer>, ids: &[String]) {
    for id in ids {
        bus.execute(id, addressed(id, register()), &meta())
            .await
            .expect("register");
    }
}

#[tokio::test]
async fn commands_queued_together_share_one_commit_and_get_their_own_events() {
    let db = fresh_database().await;
    let bus = bus(&db.pool).with_group_commit(1);
    let ids: Vec<String> = (0..40).map(|i| format!("G{i:02}")).collect();
    register_all(&bus, &ids).await;

    let lock = hold_appends(&db.pool).await;
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (mine, id) = (bus.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = mine
                .execute(
                    &id,
                    addressed(&id, purchase(&format!("T{i}"), 100 + i as i64, 1)),
                    &meta(),
                )
                .await;
            (id, outcome)
        }));
        if i == 0 {
            until("the first command blocked in the database", async || {
                appends_blocked(&db.pool).await == 1 && bus.waiting_to_commit() == 0
            })
            .await;
        }
    }
    until("the other 39 queued behind it", async || {
        bus.waiting_to_commit() == 39
    })
    .await;
    lock.rollback().await.expect("release");

    for task in tasks {
        let (id, outcome) = task.await.expect("task");
        let recorded = outcome.expect("recorded").recorded;
        assert_eq!(recorded.len(), 1, "{id}: exactly its own event");
        let mine = &recorded[0];
        assert_eq!(
            (mine.aggregate_id.as_str(), mine.sequence),
            (id.as_str(), 2)
        );
        let stored: (i64, String) = sqlx::query_as(
            "SELECT global_position, payload->'TransactionRecorded'->>'transaction_id' \
             FROM events WHERE aggregate_id = $1 AND sequence = 2",
        )
        .bind(&id)
        .fetch_one(&db.pool)
        .await
        .expect("stored");
        let i: usize = id[1..].parse().expect("index");
        assert_eq!(stored, (mine.global_position, format!("T{i}")), "{id}");
    }
    let commits: Vec<i64> = sqlx::query(
        "SELECT count(*) AS n FROM events WHERE sequence = 2 GROUP BY tx_id ORDER BY n",
    )
    .fetch_all(&db.pool)
    .await
    .expect("commits")
    .iter()
    .map(|r| r.get("n"))
    .collect();
    assert_eq!(commits, vec![1, 39], "the first alone, then one group");
}

#[tokio::test]
async fn a_conflict_in_a_group_is_only_its_own_commands() {
    let db = fresh_database().await;
    // One attempt: a command wrongly failed with its group's conflict would
    // surface here instead of being retried away.
    let here = bus(&db.pool).with_group_commit(1).with_attempts(1);
    let there = bus(&db.pool);
    let ids: Vec<String> = (0..10).map(|i| format!("Y{i}")).collect();
    register_all(&here, &ids).await;
    register_all(&here, &["X".to_owned(), "Z".to_owned()]).await;
    // Another process moves X on: this bus's cached X is now stale.
    there
        .execute("X", addressed("X", purchase("TX0", 50, 1)), &meta())
        .await
        .expect("elsewhere");

    let lock = hold_appends(&db.pool).await;
    let first = {
        let here = here.clone();
        tokio::spawn(async move {
            here.execute("Z", addressed("Z", purchase("TZ", 10, 1)), &meta())
                .await
        })
    };
    until("Z's append blocked in the database", async || {
        appends_blocked(&db.pool).await == 1 && here.waiting_to_commit() == 0
    })
    .await;
    let stale = {
        let here = here.clone();
        tokio::spawn(async move {
            here.execute("X", addressed("X", purchase("TX1", 60, 2)), &meta())
                .await
        })
    };
    let mut others = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (here, id) = (here.clone(), id.clone());
        others.push(tokio::spawn(async move {
            here.execute(
                &id,
                addressed(&id, purchase(&format!("TY{i}"), 70, 3)),
                &meta(),
            )
            .await
        }));
    }
    until("X and the ten others queued as one group", async || {
        here.waiting_to_commit() == 11
    })
    .await;
    lock.rollback().await.expect("release");

    first.await.expect("task").expect("Z recorded");
    for (id, task) in ids.iter().zip(others) {
        let outcome = task.await.expect("task").expect("recorded");
        assert_eq!(outcome.recorded.len(), 1, "{id}");
        assert_eq!(outcome.recorded[0].sequence, 2, "{id}");
    }
    match stale.await.expect("task") {
        Err(CommandError::Conflict) => {}
        other => panic!("X was decided on a stale state: {other:?}"),
    }
    // Nothing of X's refused command was stored; asked again, it lands next.
    let x: Vec<i64> =
        sqlx::query_scalar("SELECT sequence FROM events WHERE aggregate_id = 'X' ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .expect("X");
    assert_eq!(x, vec![1, 2]);
    let again = here
        .execute("X", addressed("X", purchase("TX1", 60, 2)), &meta())
        .await
        .expect("fresh attempt");
    assert_eq!(again.recorded[0].sequence, 3);
}
