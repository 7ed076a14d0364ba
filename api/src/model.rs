//! The scoring model: read from `artifacts/` (or `MODEL_ARTIFACT`) at start,
//! validated, and stored in the model registry by version so every decision
//! it makes can be replayed with it later.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use domain::risk::ModelArtifact;
use sqlx::PgPool;

/// Model options.
#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// The model artifact (JSON) that scores customers.
    #[arg(
        long = "model",
        env = "MODEL_ARTIFACT",
        default_value = "artifacts/model.json"
    )]
    pub path: PathBuf,
}

impl ModelArgs {
    /// Reads and validates the artifact, and registers it.
    pub async fn load(&self, pool: &PgPool) -> anyhow::Result<Arc<ModelArtifact>> {
        let text = std::fs::read_to_string(&self.path).with_context(|| {
            format!(
                "reading the model artifact {} (set MODEL_ARTIFACT or --model)",
                self.path.display()
            )
        })?;
        let model = ModelArtifact::parse(&text)
            .with_context(|| format!("model artifact {}", self.path.display()))?;
        let version = commands::registry::register(pool, &model)
            .await
            .context("registering the model")?;
        tracing::info!(model = %model.name, %version, rules = %model.rules.version, "model loaded");
        Ok(Arc::new(model))
    }
}
