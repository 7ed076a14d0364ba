//! Why an artifact is refused ([`ArtifactError`]), and the checks its parts
//! share (the rule set's and the whole artifact's validation both use them).

use thiserror::Error;

use crate::features::FEATURE_NAMES;

/// The artifact schema this build reads and writes.
pub const SCHEMA: u32 = 1;

/// Why an artifact was rejected.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ArtifactError {
    /// The text is not JSON of an artifact.
    #[error("artifact JSON: {0}")]
    Json(String),
    /// The schema is not the one this build reads.
    #[error("unsupported artifact schema {found} (this build reads {SCHEMA})")]
    Schema {
        /// The schema found.
        found: u32,
    },
    /// A per-feature list has the wrong length.
    #[error("{field}: expected {expected} entries, found {found}")]
    Length {
        /// The list.
        field: String,
        /// The number of features.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A name is not one of the features.
    #[error("unknown feature {0:?}")]
    UnknownFeature(String),
    /// A feature is listed twice.
    #[error("feature {0:?} listed twice")]
    DuplicateFeature(String),
    /// A tree node is malformed.
    #[error("tree node {node}: {reason}")]
    Tree {
        /// Index of the node.
        node: usize,
        /// What is wrong.
        reason: String,
    },
    /// Any other value is out of range.
    #[error("{field}: {reason}")]
    Invalid {
        /// Path of the value, e.g. `standardisation[3].std`.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// Checks that `names` are distinct feature names.
pub(crate) fn check_feature_names<'a>(
    names: impl IntoIterator<Item = &'a String>,
) -> Result<(), ArtifactError> {
    let mut seen = [false; FEATURE_NAMES.len()];
    for name in names {
        let i = FEATURE_NAMES
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| ArtifactError::UnknownFeature(name.clone()))?;
        if seen[i] {
            return Err(ArtifactError::DuplicateFeature(name.clone()));
        }
        seen[i] = true;
    }
    Ok(())
}
