//! Connecting to PostgreSQL, applying migrations, and the readiness check.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The schema, embedded at compile time from `migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens a pool. Acquiring a connection gives up after `acquire_timeout`
/// so a database outage turns into a clear error, not a hang.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // A broken connection shows up as an error on use (and is replaced);
        // pinging before every acquire would add a round trip per query.
        .test_before_acquire(false)
        .connect_with(options.application_name("early-risk"))
        .await
}

/// Applies pending migrations (idempotent; safe from several processes, as
/// sqlx takes an advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Why the service is not ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database cannot be reached.
    #[error("database unreachable: {0}")]
    Unreachable(#[source] sqlx::Error),
    /// Migrations embedded in this binary are not all applied.
    #[error("{0} migration(s) not applied")]
    MigrationsPending(usize),
}

/// Checks the database answers and every embedded migration is applied.
pub async fn check_ready(pool: &PgPool) -> Result<(), NotReady> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(NotReady::Unreachable)?;
    let pending = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
        .count();
    if pending == 0 {
        Ok(())
    } else {
        Err(NotReady::MigrationsPending(pending))
    }
}
