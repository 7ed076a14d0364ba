//! The reading horizon: a transaction that declared itself a log reader
//! holds no reader back, any other running transaction does, and the
//! database refuses an event from a declared transaction.

mod common;

use common::*;
use sqlx::{Connection, PgConnection};
use store::events::horizon::declare_log_reader;
use store::events::log::{head, read_all, Checkpoint};
use store::testing::{fresh_database, read_until};

/// These tests watch the horizon, which any transaction in the cluster
/// moves (creating the other test's database included): one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Opens a transaction on `conn` that holds a transaction id, declared a
/// log reader or not, and has written a row of its own.
async fn open_writer(conn: &mut PgConnection, declared: bool) {
    sqlx::query("BEGIN")
        .execute(&mut *conn)
        .await
        .expect("begin");
    if declared {
        declare_log_reader(conn).await.expect("declare");
    }
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1)")
        .bind(if declared { "declared" } else { "undeclared" })
        .execute(&mut *conn)
        .await
        .expect("a write of its own");
}

#[tokio::test]
async fn a_declared_log_reader_holds_no_reader_back_and_an_undeclared_writer_does() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let db = fresh_database().await;
    let mut reader_step = PgConnection::connect(&db.url).await.expect("connect");
    let mut writer = PgConnection::connect(&db.url).await.expect("connect");
    open_writer(&mut reader_step, true).await;
    insert_raw(&mut writer, "after-declared", 1).await;
    let seen = read_until(&db.pool, Checkpoint::START, |e| !e.is_empty()).await;
    let ids: Vec<&str> = seen.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["after-declared"],
        "an event committed while a declared reader writes is readable while it is open"
    );
    assert_eq!(
        head(&db.pool).await.expect("head"),
        seen[0].checkpoint,
        "the head follows the same horizon"
    );

    // Any other open transaction with an id may still append an event
    // below what a reader would pass: it holds the horizon.
    let mut other = PgConnection::connect(&db.url).await.expect("connect");
    open_writer(&mut other, false).await;
    insert_raw(&mut writer, "after-undeclared", 1).await;
    let held = read_all(&db.pool, seen[0].checkpoint, 100)
        .await
        .expect("read");
    assert!(
        held.is_empty(),
        "read past a running undeclared transaction: {held:?}"
    );
    sqlx::query("COMMIT")
        .execute(&mut other)
        .await
        .expect("commit");
    let released = read_until(&db.pool, seen[0].checkpoint, |e| !e.is_empty()).await;
    let ids: Vec<&str> = released.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(ids, vec!["after-undeclared"]);
    sqlx::query("COMMIT")
        .execute(&mut reader_step)
        .await
        .expect("commit");
}

#[tokio::test]
async fn a_declared_log_reader_cannot_append_an_event() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let db = fresh_database().await;
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    let mut tx = conn.begin().await.expect("begin");
    declare_log_reader(&mut tx).await.expect("declare");
    let refused = try_insert_raw(&mut tx, "from-a-reader", 1)
        .await
        .expect_err("a declared reader appended an event");
    let code = refused
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("42501"), "{refused}");
    drop(tx);
    // The declaration ends with its transaction: the same session may
    // append again afterwards.
    try_insert_raw(&mut conn, "afterwards", 1)
        .await
        .expect("an ordinary transaction appends");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT aggregate_id FROM events ORDER BY global_position")
            .fetch_all(&db.pool)
            .await
            .expect("events");
    assert_eq!(stored, vec!["afterwards".to_owned()]);
}

#[tokio::test]
async fn a_writer_in_another_database_of_the_cluster_holds_no_reader_back() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (db, elsewhere) = (fresh_database().await, fresh_database().await);
    // A transaction with an id, open in the other database: it is in every
    // snapshot of the cluster, but it cannot append to this log.
    let mut other = PgConnection::connect(&elsewhere.url)
        .await
        .expect("connect");
    open_writer(&mut other, false).await;
    let mut writer = PgConnection::connect(&db.url).await.expect("connect");
    insert_raw(&mut writer, "while-another-database-writes", 1).await;
    let seen = read_until(&db.pool, Checkpoint::START, |e| !e.is_empty()).await;
    let ids: Vec<&str> = seen.iter().map(|e| e.aggregate_id.as_str()).collect();
    assert_eq!(ids, vec!["while-another-database-writes"]);
    // The same transaction in this database would hold the reader.
    let mut here = PgConnection::connect(&db.url).await.expect("connect");
    open_writer(&mut here, false).await;
    insert_raw(&mut writer, "while-this-database-writes", 1).await;
    let held = read_all(&db.pool, seen[0].checkpoint, 100)
        .await
        .expect("read");
    assert!(
        held.is_empty(),
        "read past a writer of this database: {held:?}"
    );
    for conn in [&mut other, &mut here] {
        sqlx::query("ROLLBACK")
            .execute(&mut *conn)
            .await
            .expect("rollback");
    }
}
