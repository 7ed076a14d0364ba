//! Where the data lives: the server named by `DATABASE_URL`, or — when it is
//! not set — a private PostgreSQL cluster under `EARLY_RISK_DATA_DIR`
//! (default `./.early-risk`) that we start from the system's binaries.
//!
//! Two roles: the owner applies the migrations (and rebuilds, which swap
//! tables); the application connects as a least-privilege role
//! (`app_role`). The private cluster sets both up itself (its superuser
//! owns; `early_risk_app`, with a password kept in `app-credentials`, is the
//! application). With `DATABASE_URL`, set `DATABASE_OWNER_URL` to the
//! owner and `DATABASE_URL` to the application's role: that role is then
//! created or updated with the password in `DATABASE_URL`. Without
//! `DATABASE_OWNER_URL` the one URL does everything (and a superuser there
//! is warned about).

pub mod app_role;

use std::path::PathBuf;

use anyhow::Context;
use sqlx::PgPool;

/// A connected, migrated database, and the cluster we started, if any.
pub struct Database {
    /// The application's pool (the least-privilege role).
    pub pool: PgPool,
    /// The owner's pool: for what changes tables (rebuilds).
    pub owner: PgPool,
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
    /// The owner role's URL (applies migrations, creates the application's
    /// role named in DATABASE_URL). Unset: DATABASE_URL does both.
    #[arg(long, env = "DATABASE_OWNER_URL", hide_env_values = true)]
    pub database_owner_url: Option<String>,
    /// Where the private cluster lives when no DATABASE_URL is given.
    #[arg(long, env = "EARLY_RISK_DATA_DIR", default_value = ".early-risk")]
    pub data_dir: PathBuf,
    /// Connection pool size.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 32)]
    pub max_connections: u32,
}

impl DatabaseArgs {
    /// Connects (starting the private cluster if needed), migrates as the
    /// owner and connects the application as its least-privilege role.
    pub async fn open(&self) -> anyhow::Result<Database> {
        let embedded = match &self.database_url {
            Some(_) => None,
            None => {
                let dir = self.data_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    localpg::Cluster::ensure(&dir, &localpg::Settings::default())
                })
                .await
                .context("starting the private PostgreSQL")??;
                tracing::info!(port = cluster.port, dir = %cluster.data_dir().display(), "using the private PostgreSQL cluster (DATABASE_URL not set)");
                Some(cluster)
            }
        };
        let opened = self.connect(embedded.as_ref()).await;
        match opened {
            Ok((pool, owner)) => Ok(Database {
                pool,
                owner,
                embedded,
            }),
            Err(e) => {
                // Never leave a cluster we started running behind an error.
                if let Some(cluster) = embedded.filter(|c| c.started) {
                    let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
                }
                Err(e)
            }
        }
    }

    /// The application's pool and the owner's.
    async fn connect(
        &self,
        embedded: Option<&localpg::Cluster>,
    ) -> anyhow::Result<(PgPool, PgPool)> {
        let owner_pool = |url: String| async move {
            let pool = store::db::connect(&url, 4)
                .await
                .context("connecting to PostgreSQL as the owner")?;
            store::db::migrate(&pool)
                .await
                .context("applying migrations")?;
            anyhow::Ok(pool)
        };
        let app = |url: String| async move {
            store::db::connect(&url, self.max_connections)
                .await
                .context("connecting to PostgreSQL as the application")
        };
        if let Some(cluster) = embedded {
            create_database_if_missing(&cluster.url("postgres"), "early_risk").await?;
            let owner = owner_pool(cluster.url("early_risk")).await?;
            let password = app_password(&self.data_dir)?;
            app_role::ensure(&owner, app_role::APP_ROLE, &password).await?;
            let pool = app(cluster.url_as(app_role::APP_ROLE, &password, "early_risk")).await?;
            return Ok((pool, owner));
        }
        let url = self.database_url.clone().unwrap_or_default();
        match &self.database_owner_url {
            Some(owner_url) => {
                let owner = owner_pool(owner_url.clone()).await?;
                let (role, password) = app_role::credentials_of(&url)?;
                app_role::ensure(&owner, &role, &password).await?;
                Ok((app(url).await?, owner))
            }
            None => {
                let pool = app(url).await?;
                store::db::migrate(&pool)
                    .await
                    .context("applying migrations")?;
                if app_role::is_superuser(&pool).await? {
                    tracing::warn!(
                        "the application connects to PostgreSQL as a superuser, which can switch the \
                         append-only trigger off; set DATABASE_OWNER_URL to the owner and DATABASE_URL \
                         to a role of its own"
                    );
                }
                Ok((pool.clone(), pool))
            }
        }
    }
}

/// The embedded default's application password: made once, kept beside the
/// cluster's credentials (mode 0600).
fn app_password(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let path = data_dir.join("app-credentials");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let password = text.trim().to_owned();
        if !password.is_empty() {
            return Ok(password);
        }
    }
    let password = app_role::random_password();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{password}\n").as_bytes())?;
    Ok(password)
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
        self.owner.close().await;
        if let Some(cluster) = self.embedded.filter(|c| c.started) {
            match tokio::task::spawn_blocking(move || cluster.stop()).await {
                Ok(Ok(())) => tracing::info!("private PostgreSQL stopped"),
                Ok(Err(e)) => tracing::warn!(error = %e, "could not stop the private PostgreSQL"),
                Err(e) => tracing::warn!(error = %e, "could not stop the private PostgreSQL"),
            }
        }
    }
}
