//! The application connects as a least-privilege role: on the embedded
//! default it can append and read events and work the views, but it cannot
//! update, delete or truncate history, switch the append-only trigger off
//! (by `ALTER TABLE` or `session_replication_role`), create tables, or
//! touch the migrations' record — while the owner's pool can rebuild.

use api::database::DatabaseArgs;
use domain::customer::{Addressed, CustomerCommand};
use domain::values::CustomerId;
use domain::Customer;
use store::{CommandBus, Metadata, PgEventStore};

fn refused(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>, what: &str) -> String {
    match result {
        Ok(done) => panic!("{what} was allowed ({} rows)", done.rows_affected()),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_application_role_appends_and_reads_history_but_cannot_rewrite_it() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("least-privilege-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let args = DatabaseArgs {
        database_url: None,
        database_owner_url: None,
        data_dir: dir.join("data"),
        max_connections: 4,
    };
    let db = args.open().await.expect("the embedded default opens");
    let pool = &db.pool;

    let (user, superuser): (String, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .expect("who");
    assert_eq!(user, api::database::app_role::APP_ROLE);
    assert!(!superuser);

    // What the application does works: commands append events, views are written.
    let bus: CommandBus<Customer> = CommandBus::new(PgEventStore::new(pool.clone()));
    let command: CustomerCommand = serde_json::from_value(serde_json::json!({
        "command": "register_customer", "data": {
        "name": "Asha", "phone": "+919800000001", "credit_limit_minor": 100000,
        "currency": "INR", "opened_at": "2026-01-01T00:00:00Z"}}))
    .expect("command");
    let outcomes = bus
        .execute_batch(
            vec![(
                "LP-1".to_owned(),
                Addressed {
                    customer_id: CustomerId::parse("LP-1").expect("id"),
                    command,
                },
            )],
            &Metadata::system("test", "least-privilege"),
        )
        .await
        .expect("an event is appended");
    assert!(
        !matches!(outcomes[0], store::batch::ItemOutcome::Rejected(_)),
        "{outcomes:?}"
    );
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .expect("events are read");
    assert_eq!(events, 1);
    sqlx::query("DELETE FROM decision_outbox WHERE decision_id = 'none'")
        .execute(pool)
        .await
        .expect("the views and outboxes are worked");

    // What would rewrite history is refused.
    let mut messages = vec![
        refused(
            sqlx::query("UPDATE events SET payload = '{}'")
                .execute(pool)
                .await,
            "UPDATE events",
        ),
        refused(
            sqlx::query("DELETE FROM events").execute(pool).await,
            "DELETE",
        ),
        refused(
            sqlx::query("TRUNCATE events").execute(pool).await,
            "TRUNCATE",
        ),
        refused(
            sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
                .execute(pool)
                .await,
            "disabling the trigger",
        ),
        refused(
            sqlx::query("SET session_replication_role = replica")
                .execute(pool)
                .await,
            "session_replication_role",
        ),
        refused(
            sqlx::query("CREATE TABLE sneaky (x int)")
                .execute(pool)
                .await,
            "CREATE TABLE",
        ),
        refused(
            sqlx::query("DELETE FROM _sqlx_migrations")
                .execute(pool)
                .await,
            "editing the migrations' record",
        ),
        refused(
            sqlx::query("TRUNCATE customer_risk").execute(pool).await,
            "TRUNCATE a view",
        ),
    ];
    messages.dedup();
    for m in &messages {
        assert!(
            m.contains("permission denied") || m.contains("must be owner"),
            "{m}"
        );
    }
    let still: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .expect("events");
    assert_eq!(still, 1, "history is intact");

    // The owner rebuilds (it creates and swaps tables); the application
    // keeps its rights on the swapped-in tables.
    let reports = projections::supervisor::rebuild_named(
        &db.owner,
        std::sync::Arc::new(domain::risk::demo_artifact()),
        None,
        1_000,
        false,
    )
    .await
    .expect("the owner rebuilds");
    assert!(!reports.is_empty());
    sqlx::query("DELETE FROM customer_overview WHERE customer_id = 'none'")
        .execute(pool)
        .await
        .expect("rights on the rebuilt tables");

    // Opening again (the role exists) works the same.
    db.shutdown().await;
    let again = args.open().await.expect("opens again");
    assert!(!api::database::app_role::is_superuser(&again.pool)
        .await
        .expect("role"));
    again.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
