//! The model registry: every model artifact ever loaded, stored in PostgreSQL
//! under its version (the sha256 of its canonical bytes), so a decision can be
//! re-run with the model that made it even after `artifacts/` changes.

use domain::risk::ModelArtifact;
use sqlx::PgPool;

/// Registry failures.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored artifact no longer parses or no longer hashes to its version.
    #[error("model {version} in the registry is damaged: {reason}")]
    Damaged {
        /// The version asked for.
        version: String,
        /// What is wrong.
        reason: String,
    },
    /// No such version.
    #[error("model {0} is not in the registry")]
    Unknown(String),
}

/// Stores `artifact` (idempotent) and returns its version.
pub async fn register(pool: &PgPool, artifact: &ModelArtifact) -> Result<String, RegistryError> {
    let version = artifact.version();
    let canonical = String::from_utf8_lossy(&artifact.canonical_bytes()).into_owned();
    sqlx::query(
        "INSERT INTO model_registry (version, name, rule_set, canonical) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (version) DO NOTHING",
    )
    .bind(&version)
    .bind(&artifact.name)
    .bind(&artifact.rules.version)
    .bind(&canonical)
    .execute(pool)
    .await?;
    Ok(version)
}

/// Loads the artifact stored under `version`, checking it still hashes to it.
pub async fn load(pool: &PgPool, version: &str) -> Result<ModelArtifact, RegistryError> {
    let canonical: Option<String> =
        sqlx::query_scalar("SELECT canonical FROM model_registry WHERE version = $1")
            .bind(version)
            .fetch_optional(pool)
            .await?;
    let canonical = canonical.ok_or_else(|| RegistryError::Unknown(version.to_owned()))?;
    let damaged = |reason: String| RegistryError::Damaged {
        version: version.to_owned(),
        reason,
    };
    let artifact = ModelArtifact::parse(&canonical).map_err(|e| damaged(e.to_string()))?;
    if artifact.version() != version {
        return Err(damaged(format!("its bytes hash to {}", artifact.version())));
    }
    Ok(artifact)
}
