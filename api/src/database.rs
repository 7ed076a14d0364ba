//! Where the data lives: the server named by `DATABASE_URL`, or — when it is
//! not set — a private PostgreSQL cluster under `EARLY_RISK_DATA_DIR`
//! (default `./.early-risk`) that we start from the system's binaries.

use std::path::PathBuf;

use anyhow::Context;
use sqlx::PgPool;

/// A connected, migrated database, and the cluster we started, if any.
pub struct Database {
    /// The pool.
    pub pool: PgPool,
    /// Set when we started a private cluster (stop it on shutdown).
    pub embedded: Option<localpg::Cluster>,
}

/// Database options shared by the subcommands.
#[derive(clap::Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// PostgreSQL URL. Without it a private cluster is started under
    /// `--data-dir`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the private cluster lives when no DATABASE_URL is given.
    #[arg(long, env = "EARLY_RISK_DATA_DIR", default_value = ".early-risk")]
    pub data_dir: PathBuf,
    /// Connection pool size.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 32)]
    pub max_connections: u32,
}

impl DatabaseArgs {
    /// Connects (starting the private cluster if needed) and migrates.
    pub async fn open(&self) -> anyhow::Result<Database> {
        let (url, embedded) = match &self.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let dir = self.data_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    localpg::Cluster::ensure(&dir, &localpg::Settings::default())
                })
                .await
                .context("starting the private PostgreSQL")??;
                tracing::info!(port = cluster.port, dir = %cluster.data_dir().display(), "using the private PostgreSQL cluster (DATABASE_URL not set)");
                (cluster.url("early_risk"), Some(cluster))
            }
        };
        let opened = async {
            if let Some(cluster) = &embedded {
                create_database_if_missing(&cluster.url("postgres"), "early_risk").await?;
            }
            let pool = commands::db::connect(&url, self.max_connections)
                .await
                .context("connecting to PostgreSQL")?;
            commands::db::migrate(&pool)
                .await
                .context("applying migrations")?;
            anyhow::Ok(pool)
        }
        .await;
        match opened {
            Ok(pool) => Ok(Database { pool, embedded }),
            Err(e) => {
                // Never leave a cluster we started running behind an error.
                if let Some(cluster) = embedded.filter(|c| c.started) {
                    let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
                }
                Err(e)
            }
        }
    }
}

async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .context("connecting to the private cluster")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
    }
    Ok(())
}

impl Database {
    /// Closes the pool and stops the private cluster if we started it.
    pub async fn shutdown(self) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded.filter(|c| c.started) {
            match tokio::task::spawn_blocking(move || cluster.stop()).await {
                Ok(Ok(())) => tracing::info!("private PostgreSQL stopped"),
                Ok(Err(e)) => tracing::warn!(error = %e, "could not stop the private PostgreSQL"),
                Err(e) => tracing::warn!(error = %e, "could not stop the private PostgreSQL"),
            }
        }
    }
}
