//! A page read through `snapshot::begin` sees one committed moment: a commit
//! landing between two of its queries is invisible to the second, and the
//! read can write nothing.

use store::testing::fresh_database;

#[tokio::test]
async fn a_snapshot_does_not_see_commits_made_after_its_first_read() {
    let db = fresh_database().await;
    sqlx::query("CREATE TABLE probe (n int NOT NULL)")
        .execute(&db.pool)
        .await
        .expect("create");
    let mut read = api::http::snapshot::begin(&db.pool).await.expect("begin");
    let count = "SELECT count(*) FROM probe";
    let before: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut *read)
        .await
        .expect("first read");
    // Another projection commits a batch while the page is being read.
    sqlx::query("INSERT INTO probe VALUES (1), (2)")
        .execute(&db.pool)
        .await
        .expect("insert");
    let during: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut *read)
        .await
        .expect("second read");
    assert_eq!((before, during), (0, 0), "the page saw two moments");
    let refused = sqlx::query("INSERT INTO probe VALUES (3)")
        .execute(&mut *read)
        .await
        .expect_err("a read-only snapshot refuses writes");
    assert!(refused.to_string().contains("read-only"), "{refused}");
    drop(read);
    let after: i64 = sqlx::query_scalar(count)
        .fetch_one(&db.pool)
        .await
        .expect("after");
    assert_eq!(after, 2);
}
