//! Batches decide on cached streams when this process wrote them last. Two
//! buses over one database stand for two processes: when the other one has
//! written since, the cached state is stale — the batch must still land
//! exactly once, in sequence, with an unbroken hash chain, and a refusal
//! must be decided on the fresh state, never on the stale one.

mod common;

use chrono::NaiveDate;
use common::*;
use domain::customer::*;
use domain::values::*;
use sqlx::Row;
use store::batch::ItemOutcome;
use store::testing::fresh_database;

fn statement(period: &str, issued: &str) -> CustomerCommand {
    CustomerCommand::IssueStatement(IssueStatement {
        period: StatementPeriod::parse(period).expect("period"),
        closing_balance_minor: Balance::parse(100).expect("balance"),
        minimum_due_minor: NonNegativeAmount::parse(10).expect("minimum"),
        due_date: NaiveDate::from_ymd_opt(2026, 6, 20).expect("date"),
        issued_at: at(issued),
    })
}

/// The limit `register()` opens with is 10,000,000.
fn limit(minor: i64) -> CustomerCommand {
    CustomerCommand::ChangeCreditLimit(ChangeCreditLimit {
        credit_limit_minor: NonNegativeAmount::parse(minor).expect("limit"),
        effective_at: at("2026-03-01T00:00:00Z"),
    })
}

async fn sequences(pool: &sqlx::PgPool, id: &str) -> Vec<(i64, String)> {
    sqlx::query("SELECT sequence, event_type FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(id)
        .fetch_all(pool)
        .await
        .expect("rows")
        .iter()
        .map(|r| (r.get("sequence"), r.get("event_type")))
        .collect()
}

#[tokio::test]
async fn a_batch_on_a_stale_cached_stream_lands_once_in_sequence() {
    let db = fresh_database().await;
    let (here, there) = (bus(&db.pool), bus(&db.pool));
    here.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register");
    here.execute("C1", addressed("C1", purchase("T1", 100, 1)), &meta())
        .await
        .expect("T1 (now cached here)");
    there
        .execute("C1", addressed("C1", purchase("T2", 100, 2)), &meta())
        .await
        .expect("T2 from the other process");
    let items = vec![
        ("C1".to_string(), addressed("C1", purchase("T3", 100, 3))),
        ("C1".to_string(), addressed("C1", purchase("T4", 100, 4))),
    ];
    let out = here.execute_batch(items, &meta()).await.expect("batch");
    let seqs: Vec<i64> = out
        .iter()
        .map(|o| match o {
            ItemOutcome::Recorded(c) => c.sequence,
            other => panic!("not recorded: {other:?}"),
        })
        .collect();
    assert_eq!(seqs, vec![4, 5]);
    assert_eq!(
        sequences(&db.pool, "C1").await,
        vec![
            (1, "CustomerRegistered".to_owned()),
            (2, "TransactionRecorded".to_owned()),
            (3, "TransactionRecorded".to_owned()),
            (4, "TransactionRecorded".to_owned()),
            (5, "TransactionRecorded".to_owned()),
        ]
    );
    // The cache now holds the batch's result: a single command goes on
    // from it, and the chain links every event to the one before.
    here.execute("C1", addressed("C1", purchase("T5", 100, 5)), &meta())
        .await
        .expect("T5");
    let hashes: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT sequence, hash FROM events WHERE aggregate_id = 'C1' ORDER BY sequence",
    )
    .fetch_all(&db.pool)
    .await
    .expect("hashes");
    assert_eq!(hashes.len(), 6);
    let full = here.store().load("C1").await.expect("load");
    assert_eq!(full.version, 6);
    assert_eq!(full.last_hash.to_vec(), hashes[5].1);
}

#[tokio::test]
async fn a_refusal_is_decided_on_fresh_state_not_on_the_cache() {
    let db = fresh_database().await;
    let (here, there) = (bus(&db.pool), bus(&db.pool));
    here.execute("C1", addressed("C1", register()), &meta())
        .await
        .expect("register (cached here)");
    // The other process issues May's statement: here, the cache does not
    // know, so on cached state April would look fine.
    there
        .execute(
            "C1",
            addressed("C1", statement("2026-05", "2026-06-01T00:00:00Z")),
            &meta(),
        )
        .await
        .expect("May");
    let out = here
        .execute_batch(
            vec![(
                "C1".to_string(),
                addressed("C1", statement("2026-04", "2026-06-02T00:00:00Z")),
            )],
            &meta(),
        )
        .await
        .expect("batch");
    assert!(
        matches!(out[0], ItemOutcome::Rejected(_)),
        "April after May must be refused: {:?}",
        out[0]
    );
    // And the other way round: a no-op on cached state. The other process
    // raised the limit; here the cache still holds the old one, so setting
    // it back looks like "unchanged" — on fresh state it is a change.
    here.execute("C2", addressed("C2", register()), &meta())
        .await
        .expect("register C2 (cached here)");
    there
        .execute("C2", addressed("C2", limit(20_000_000)), &meta())
        .await
        .expect("raise the limit elsewhere");
    let out = here
        .execute_batch(
            vec![("C2".to_string(), addressed("C2", limit(10_000_000)))],
            &meta(),
        )
        .await
        .expect("batch");
    assert!(
        matches!(out[0], ItemOutcome::Recorded(_)),
        "decided on stale state: {:?}",
        out[0]
    );
    assert_eq!(
        sequences(&db.pool, "C2").await,
        vec![
            (1, "CustomerRegistered".to_owned()),
            (2, "CreditLimitChanged".to_owned()),
            (3, "CreditLimitChanged".to_owned()),
        ]
    );
}
