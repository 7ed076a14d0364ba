//! Test support: a fresh, migrated database per test on a real PostgreSQL.
//!
//! With `TEST_DATABASE_URL` set (a superuser URL), tests use that server.
//! Otherwise the first test starts a private cluster under
//! `target/test-pg` with the same mechanism as `serve`'s embedded default
//! (fsync off: tests need isolation, not durability across OS crashes), and
//! every later test, in any process, reuses it. Each test gets its own
//! database cloned from a migrated template, so tests never see each other.

use std::path::PathBuf;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection, PgPool};

/// A database created for one test.
pub struct TestDatabase {
    /// A pool on it.
    pub pool: PgPool,
    /// Its URL (for spawning the real binary against it).
    pub url: String,
    /// Its name.
    pub name: String,
}

fn server_url() -> &'static Result<String, String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
            return Ok(url);
        }
        let base = std::env::var_os("EARLY_RISK_TEST_PG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pg"));
        let settings = localpg::Settings {
            fsync: false,
            max_connections: 400,
        };
        localpg::Cluster::ensure(&base, &settings)
            .map(|c| c.url("postgres"))
            .map_err(|e| e.to_string())
    })
}

fn with_database(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) => format!("{}/{db}", &url[..i]),
        None => url.to_owned(),
    }
}

fn migrations_fingerprint() -> String {
    let mut h = Sha256::new();
    for m in crate::db::MIGRATOR.iter() {
        h.update(m.version.to_be_bytes());
        h.update(&*m.checksum);
    }
    hex::encode(&h.finalize()[..8])
}

/// Creates a fresh migrated database. Panics with the reason when PostgreSQL
/// cannot be started: a test without its database cannot mean anything.
pub async fn fresh_database() -> TestDatabase {
    let server = match server_url() {
        Ok(url) => url.clone(),
        Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
    };
    let template = format!("er_template_{}", migrations_fingerprint());
    let mut admin = PgConnection::connect(&server)
        .await
        .expect("connect to the test server");
    // One process builds the template; the others wait on the lock.
    admin
        .execute("SELECT pg_advisory_lock(4242)")
        .await
        .expect("template lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("look for the template");
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {building}").as_str())
            .await
            .expect("drop");
        admin
            .execute(format!("CREATE DATABASE {building}").as_str())
            .await
            .expect("create template");
        {
            let pool = PgPool::connect(&with_database(&server, &building))
                .await
                .expect("connect template");
            crate::db::migrate(&pool).await.expect("migrate template");
            pool.close().await;
        }
        admin
            .execute(format!("ALTER DATABASE {building} RENAME TO {template}").as_str())
            .await
            .expect("publish template");
    }
    admin
        .execute("SELECT pg_advisory_unlock(4242)")
        .await
        .expect("template unlock");
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let url = with_database(&server, &name);
    let pool = crate::db::connect(&url, 20)
        .await
        .expect("connect test database");
    TestDatabase { pool, url, name }
}

/// Reads the log after `after` until `enough` says what it read will do,
/// and returns that. A transaction elsewhere in the cluster (autovacuum's,
/// another test's) may hold the reading horizon for a moment, so a test
/// asserting that something *becomes* readable polls; it gives up after
/// 30 s (CI is a slow machine), so a horizon held for good still fails the
/// test.
pub async fn read_until(
    pool: &PgPool,
    after: crate::Checkpoint,
    enough: impl Fn(&[crate::RecordedEvent]) -> bool,
) -> Vec<crate::RecordedEvent> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let events = crate::events::log::read_all(pool, after, 1_000)
            .await
            .expect("read the log");
        if enough(&events) {
            return events;
        }
        let ids: Vec<&str> = events.iter().map(|e| e.aggregate_id.as_str()).collect();
        assert!(
            tokio::time::Instant::now() < deadline,
            "the log after {after:?} never became what was awaited; last read: {ids:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}
