//! The scoring model: the default artifact ships inside the binary (the
//! `artifacts/model.json` it was built with), so `serve` runs from any
//! directory; `MODEL_ARTIFACT` (or `--model`) names another. It is
//! validated and stored in the model registry by version so every decision
//! it makes can be replayed with it later.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use domain::risk::ModelArtifact;
use sqlx::PgPool;

/// The default model artifact, built into the binary.
pub const EMBEDDED_MODEL: &str = include_str!("../../artifacts/model.json");

/// Model options.
#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// The model artifact (JSON) that scores customers; without it, the
    /// default model built into the binary.
    #[arg(long = "model", env = "MODEL_ARTIFACT")]
    pub path: Option<PathBuf>,
}

impl ModelArgs {
    /// The artifact: the named file, or the embedded default.
    pub fn artifact(&self) -> anyhow::Result<ModelArtifact> {
        let Some(path) = &self.path else {
            return ModelArtifact::parse(EMBEDDED_MODEL).context("the embedded default model");
        };
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading the model artifact {} (set MODEL_ARTIFACT or --model)",
                path.display()
            )
        })?;
        ModelArtifact::parse(&text).with_context(|| format!("model artifact {}", path.display()))
    }

    /// Reads and validates the artifact, and registers it.
    pub async fn load(&self, pool: &PgPool) -> anyhow::Result<Arc<ModelArtifact>> {
        let model = self.artifact()?;
        let version = store::registry::register(pool, &model)
            .await
            .context("registering the model")?;
        tracing::info!(model = %model.name, %version, rules = %model.rules.version, "model loaded");
        Ok(Arc::new(model))
    }
}
