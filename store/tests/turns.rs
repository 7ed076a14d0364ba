//! Commands for one customer from one process take turns instead of
//! racing: with a single attempt each, thirty at once all land, in some
//! order, each exactly once. (Racing, all but one per round would get a
//! conflict.) Writers in another process still meet optimistic concurrency.

mod common;

use common::*;
use store::testing::fresh_database;
use store::CommandError;

#[tokio::test]
async fn concurrent_commands_on_one_customer_take_turns_and_all_land_on_the_first_attempt() {
    let db = fresh_database().await;
    let bus = bus(&db.pool).with_attempts(1);
    bus.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    let tasks = concurrent_purchases(&bus, 30);
    for t in tasks {
        let outcome = t.await.expect("task").expect("landed on its only attempt");
        assert_eq!(outcome.recorded.len(), 1);
    }
    let sequences: Vec<i64> = sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_id = 'C1' ORDER BY sequence",
    )
    .fetch_all(&db.pool)
    .await
    .expect("sequences");
    assert_eq!(sequences, (1..=31).collect::<Vec<i64>>());
}

#[tokio::test]
async fn a_writer_in_another_process_still_meets_a_conflict() {
    let db = fresh_database().await;
    let here = bus(&db.pool).with_attempts(1);
    let there = bus(&db.pool);
    here.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    // `there` moves the stream on; `here` still has its cached state.
    there
        .execute(
            "C1",
            addressed("C1", purchase("T-there", 1_000, 1)),
            &meta(),
        )
        .await
        .expect("there");
    match here
        .execute("C1", addressed("C1", purchase("T-here", 1_000, 2)), &meta())
        .await
    {
        // The cached state is stale: decided again on a fresh load, within
        // the one attempt, or refused as a conflict — never stored on top
        // of a state it did not see.
        Ok(o) => assert_eq!(o.recorded.first().map(|e| e.sequence), Some(3)),
        Err(CommandError::Conflict) => {}
        Err(e) => panic!("unexpected error {e}"),
    }
}
