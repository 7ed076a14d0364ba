//! The event store on a real PostgreSQL: snapshots, concurrency, idempotency,
//! batches and the tamper-evident chain.

mod common;

use common::*;
use domain::{Customer, CustomerError};
use sqlx::Row;
use store::batch::ItemOutcome;
use store::testing::fresh_database;
use store::{CommandError, PgEventStore};

#[tokio::test]
async fn snapshots_give_the_same_state_as_a_full_replay() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    let mut expected = 0;
    for i in 0..120 {
        let amount = 100 + i;
        expected += amount;
        bus.execute(
            "C1",
            addressed("C1", purchase(&format!("T{i}"), amount, i)),
            &meta(),
        )
        .await
        .expect("record");
    }
    // A snapshot was written at the last multiple of the interval and
    // loading starts from it …
    let snap: i64 = sqlx::query_scalar("SELECT sequence FROM snapshots WHERE aggregate_id = 'C1'")
        .fetch_one(&db.pool)
        .await
        .expect("snapshot exists");
    let every = store::events::DEFAULT_SNAPSHOT_EVERY;
    assert_eq!(snap, 121 / every * every);
    assert!(snap < 121, "the test needs events after the snapshot");
    let loaded = PgEventStore::<Customer>::new(db.pool.clone())
        .load("C1")
        .await
        .expect("load");
    assert_eq!(loaded.version, 121);
    // … and gives exactly the state of applying every event once.
    assert_eq!(loaded.aggregate.balance_minor(), expected);
    let no_snapshots = PgEventStore::<Customer>::with_snapshot_every(db.pool.clone(), 0);
    sqlx::query("DELETE FROM snapshots")
        .execute(&db.pool)
        .await
        .expect("drop snapshots");
    let replayed = no_snapshots.load("C1").await.expect("replay");
    assert_eq!(replayed.aggregate, loaded.aggregate);
    assert_eq!(replayed.last_hash, loaded.last_hash);
}

#[tokio::test]
async fn concurrent_commands_on_one_customer_all_land_once() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    let tasks = concurrent_purchases(&bus, 20);
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(o) => {
                assert_eq!(o.recorded.len(), 1);
                ok += 1;
            }
            Err(CommandError::Conflict) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_id = 'C1'")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    // Every acknowledged command is stored, nothing else is.
    assert_eq!(stored, 1 + ok);
    assert_eq!(ok, 20, "bounded retries should absorb 20 writers");
    let loaded = bus.store().load("C1").await.expect("load");
    assert_eq!(loaded.aggregate.balance_minor(), 20 * 1_000);
}

#[tokio::test]
async fn a_repeated_transaction_is_stored_once_and_answered_alike() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let bus = bus.clone();
            tokio::spawn(async move {
                bus.execute("C1", addressed("C1", purchase("T-same", 5_00, 1)), &meta())
                    .await
            })
        })
        .collect();
    let mut sequences = Vec::new();
    for t in tasks {
        let o = t.await.expect("task").expect("accepted");
        sequences.push(
            o.recorded
                .first()
                .map(|c| c.sequence)
                .or(o.repeat_of)
                .expect("a sequence"),
        );
    }
    sequences.dedup();
    assert_eq!(
        sequences,
        vec![2],
        "every caller is told the one stored sequence"
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'TransactionRecorded'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(stored, 1);
    // The same id with other details is refused, not silently accepted.
    let err = bus
        .execute("C1", addressed("C1", purchase("T-same", 9_00, 1)), &meta())
        .await
        .expect_err("reused id");
    assert!(matches!(
        err,
        CommandError::Rejected(CustomerError::IdReused { .. })
    ));
}

#[tokio::test]
async fn a_refused_command_stores_nothing() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let err = bus
        .execute("C9", addressed("C9", purchase("T1", 100, 0)), &meta())
        .await
        .expect_err("unknown customer");
    assert!(matches!(
        err,
        CommandError::Rejected(CustomerError::NotRegistered)
    ));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_batch_answers_each_item_and_commits_the_good_ones() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    bus.execute("C1", addressed("C1", purchase("T0", 100, 0)), &meta())
        .await
        .expect("first");
    let items = vec![
        ("C1".to_string(), addressed("C1", purchase("T1", 200, 1))),
        ("C2".to_string(), addressed("C2", purchase("T2", 300, 1))), // unknown customer
        ("C1".to_string(), addressed("C1", purchase("T0", 100, 0))), // stored before
        ("C1".to_string(), addressed("C1", purchase("T3", 400, 2))),
        ("C1".to_string(), addressed("C1", purchase("T1", 200, 1))), // repeat within the batch
    ];
    let out = bus.execute_batch(items, &meta()).await.expect("batch");
    let ItemOutcome::Recorded(t1) = &out[0] else {
        panic!("T1 not recorded: {:?}", out[0])
    };
    assert_eq!(out[1], ItemOutcome::Rejected(CustomerError::NotRegistered));
    assert_eq!(out[2], ItemOutcome::Repeat { sequence: 2 });
    let ItemOutcome::Recorded(t3) = &out[3] else {
        panic!("T3 not recorded: {:?}", out[3])
    };
    assert_eq!(
        out[4],
        ItemOutcome::Repeat {
            sequence: t1.sequence
        }
    );
    assert_eq!((t1.sequence, t3.sequence), (3, 4));
    let rows = sqlx::query("SELECT aggregate_id, sequence FROM events ORDER BY global_position")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    let stored: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.get("aggregate_id"), r.get("sequence")))
        .collect();
    assert_eq!(
        stored,
        vec![
            ("C1".into(), 1),
            ("C1".into(), 2),
            ("C1".into(), 3),
            ("C1".into(), 4)
        ]
    );
}

#[tokio::test]
async fn stored_history_cannot_be_updated_or_deleted() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    let update = sqlx::query("UPDATE events SET payload = '{}'")
        .execute(&db.pool)
        .await;
    assert!(update.is_err(), "update must be refused");
    let delete = sqlx::query("DELETE FROM events").execute(&db.pool).await;
    assert!(delete.is_err(), "delete must be refused");
}
