//! Model artifacts by version, from the model registry in PostgreSQL — never
//! from `artifacts/`, which holds only the current model. Each version is
//! loaded (parsed and checked to still hash to its version) once per cache,
//! since a portfolio has a handful of models and many thousands of decisions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::risk::ModelArtifact;
use sqlx::PgPool;
use store::registry::{self, RegistryError};

/// A model, or why it cannot be used (unknown, damaged): a replay reports
/// the reason as a difference instead of failing the whole audit.
pub type Loaded = Result<Arc<ModelArtifact>, String>;

/// Registry versions loaded so far.
#[derive(Default)]
pub struct ModelCache {
    loaded: Mutex<HashMap<String, Loaded>>,
}

impl ModelCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The model stored under `version`. A database failure is an error (the
    /// audit cannot go on); an unknown or damaged model is a [`Loaded`] error
    /// (that decision cannot be reproduced).
    pub async fn get(&self, pool: &PgPool, version: &str) -> Result<Loaded, sqlx::Error> {
        if let Some(m) = self.cached(version) {
            return Ok(m);
        }
        let loaded = match registry::load(pool, version).await {
            Ok(m) => Ok(Arc::new(m)),
            Err(RegistryError::Database(e)) => return Err(e),
            Err(e) => Err(e.to_string()),
        };
        self.lock().insert(version.to_owned(), loaded.clone());
        Ok(loaded)
    }

    /// The model under `version` if it was loaded before.
    pub fn cached(&self, version: &str) -> Option<Loaded> {
        self.lock().get(version).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Loaded>> {
        // A panic while holding the lock cannot leave the map half-written
        // (one insert), so a poisoned lock is still usable.
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }
}
