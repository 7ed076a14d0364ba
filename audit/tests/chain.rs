//! The hash chain over a log written by the real command bus holds, and
//! history changed behind the system's back — a payload edited, an edit
//! re-hashed to hide it, an event deleted — is reported at the first broken
//! link.

mod common;

use audit::chain::{verify_log, ChainReport};
use common::*;
use sqlx::Row;
use store::testing::fresh_database;

async fn check(pool: &sqlx::PgPool) -> ChainReport {
    // Small pages, so streams straddle page boundaries.
    verify_log(pool, 37, |_| {}).await.expect("verify-log")
}

struct Target {
    position: i64,
    hash: Vec<u8>,
}

async fn target(pool: &sqlx::PgPool, customer: &str, sequence: i64) -> Target {
    let row = sqlx::query(
        "SELECT global_position, hash FROM events WHERE aggregate_id = $1 AND sequence = $2",
    )
    .bind(customer)
    .bind(sequence)
    .fetch_one(pool)
    .await
    .expect("target event");
    Target {
        position: row.get("global_position"),
        hash: row.get("hash"),
    }
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let db = fresh_database().await;
    // Decisions of both models too: their payloads hold many floats (some
    // of them -0.0), which must survive jsonb storage with the hash intact.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../artifacts/model.json"
    ))
    .expect("artifacts/model.json");
    let shipped = domain::risk::ModelArtifact::parse(&text).expect("artifact");
    let parts = in_parts(10, 2);
    for (model, part) in [domain::risk::demo_artifact(), shipped]
        .into_iter()
        .zip(parts)
    {
        let read_side = ReadSide::start(&db.pool, model, 7).await;
        write(&bus(&db.pool), part).await;
        read_side.settle().await;
    }
    let models: i64 = scalar(
        &db.pool,
        "SELECT count(DISTINCT payload->'RiskAssessed'->'assessment'->>'model_version') FROM events",
    )
    .await;
    assert_eq!(models, 2);
    let total: i64 = scalar(&db.pool, "SELECT count(*) FROM events").await;
    let decisions: i64 = scalar(
        &db.pool,
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    assert!(decisions > 0);
    let report = check(&db.pool).await;
    assert!(report.intact, "{:?}", report.first_broken);
    assert_eq!(report.events, total as u64);
    assert_eq!(report.streams, 10);
    // The digest depends on the content: the same log gives the same digest.
    assert_eq!(check(&db.pool).await.digest, report.digest);
}

#[tokio::test]
async fn an_edited_payload_is_the_first_broken_link() {
    let db = fresh_database().await;
    write(&bus(&db.pool), portfolio(6)).await;
    let before = check(&db.pool).await;
    assert!(before.intact);
    let t = target(&db.pool, "P003", 5).await;
    tamper(
        &db.pool,
        "UPDATE events SET payload = jsonb_set(payload, '{TransactionRecorded,amount_minor}', '1') \
         WHERE aggregate_id = 'P003' AND sequence = 5",
    )
    .await;

    let report = check(&db.pool).await;
    assert!(!report.intact);
    assert_eq!(report.broken_streams, 1);
    let link = report.first_broken.expect("a broken link");
    assert_eq!(
        (
            link.aggregate_id.as_str(),
            link.sequence,
            link.global_position
        ),
        ("P003", 5, t.position)
    );
    assert_eq!(link.stored, hex::encode(&t.hash));
    assert_ne!(link.expected, link.stored);
    assert_ne!(report.digest, before.digest);
}

#[tokio::test]
async fn a_rehashed_edit_breaks_the_next_link_and_a_deletion_is_a_gap() {
    let db = fresh_database().await;
    write(&bus(&db.pool), portfolio(6)).await;

    // Edit P002#4 and store the hash the edited event would have: its own
    // link holds now, but P002#5 was chained to the original.
    tamper(
        &db.pool,
        "UPDATE events SET metadata = jsonb_set(metadata, '{actor}', '\"someone-else\"') \
         WHERE aggregate_id = 'P002' AND sequence = 4",
    )
    .await;
    let report = check(&db.pool).await;
    let link = report.first_broken.expect("edit found");
    assert_eq!((link.aggregate_id.as_str(), link.sequence), ("P002", 4));
    let forged = hex::decode(&link.expected).expect("hex");
    let mut conn = db.pool.acquire().await.expect("connection");
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut *conn)
        .await
        .expect("disable");
    sqlx::query("UPDATE events SET hash = $1 WHERE aggregate_id = 'P002' AND sequence = 4")
        .bind(&forged)
        .execute(&mut *conn)
        .await
        .expect("re-hash");
    // And delete P004#3.
    sqlx::query("DELETE FROM events WHERE aggregate_id = 'P004' AND sequence = 3")
        .execute(&mut *conn)
        .await
        .expect("delete");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut *conn)
        .await
        .expect("enable");

    let report = check(&db.pool).await;
    assert_eq!(report.broken_streams, 2);
    let p2 = &report
        .broken
        .iter()
        .find(|l| l.aggregate_id == "P002")
        .expect("P002");
    assert_eq!(p2.sequence, 5, "{p2:?}");
    let p4 = &report
        .broken
        .iter()
        .find(|l| l.aggregate_id == "P004")
        .expect("P004");
    assert_eq!(p4.sequence, 4, "{p4:?}");
    assert!(p4.problem.contains("missing"), "{p4:?}");
    // The first broken link is the one earliest in the log.
    let first = report.first_broken.expect("first");
    let earliest = report.broken.iter().map(|l| l.global_position).min();
    assert_eq!(Some(first.global_position), earliest);
}
