//! The model artifact: everything needed to score, explain and band a
//! customer, as one serialisable value with a content-derived version.
//!
//! An artifact is data, not code: the logistic regression (over standardised
//! features), the decision tree (with per-node covers for TreeSHAP), the
//! ensemble weights, the band thresholds, the rule set and the facts of
//! training. [`ModelArtifact::version`] is the SHA-256 of its canonical JSON
//! (keys sorted recursively, no whitespace), so two artifacts have the same
//! version exactly when they hold the same values, whatever the key order or
//! layout of the file they were read from. Decisions record that version; an
//! old decision is reproduced by loading the artifact with that version, never
//! by refitting (refits are not repeatable, see the shared model notes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use super::band::BandThresholds;
pub use super::boosted::Boosted;
use super::canonical::write_canonical;
use super::checks::ArtifactError;
pub use super::checks::SCHEMA;
use super::rules::RuleSet;
use crate::features::{Features, FEATURE_NAMES};

/// A complete, versioned risk model. Check one with [`ModelArtifact::validate`]
/// (or read it with [`ModelArtifact::parse`], which does) before scoring it.
/// Unknown fields are rejected when reading: a field this build does not
/// know would otherwise be silently dropped from the version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelArtifact {
    /// Schema of this artifact; must be [`SCHEMA`].
    pub schema: u32,
    /// Human-readable model name, e.g. `"demo-hand-set-1"`.
    pub name: String,
    /// The model's input features, in input order: distinct names from
    /// [`FEATURE_NAMES`] (any order, any subset; the default model uses all
    /// fourteen in their usual order). Every per-feature list below and the
    /// tree's feature indices follow this order.
    pub features: Vec<String>,
    /// Per-feature standardisation applied before the logistic regression.
    pub standardisation: Vec<Standardiser>,
    /// The logistic regression.
    pub logistic: Logistic,
    /// The decision tree.
    pub tree: Tree,
    /// The gradient-boosted challenger, when the artifact carries one (its
    /// weight is [`Ensemble::boosted_weight`]). Absent from the JSON of
    /// artifacts without one, so their versions are what they always were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosted: Option<Boosted>,
    /// How the probabilities are combined.
    pub ensemble: Ensemble,
    /// Probability thresholds of the bands.
    pub bands: BandThresholds,
    /// Rules that can raise the band above the model's.
    pub rules: RuleSet,
    /// Training means of the raw features: the background of the logistic
    /// regression's SHAP values.
    pub background_means: Vec<f64>,
    /// Cover-weighted mean leaf probability of the tree (its expected value
    /// over the training rows); checked against the tree by `validate`.
    pub tree_expected_value: f64,
    /// Where the model came from.
    pub training: TrainingInfo,
}

/// Standardisation of one feature: `(x − mean) / std`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standardiser {
    /// Training mean of the raw feature.
    pub mean: f64,
    /// Training standard deviation of the raw feature (> 0).
    pub std: f64,
}

/// A logistic regression over standardised features:
/// `P = σ(intercept + Σ coefficients[j] · (x[j] − mean[j]) / std[j])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logistic {
    /// Log-odds at the standardisation means.
    pub intercept: f64,
    /// One coefficient per feature, applying to the standardised value.
    pub coefficients: Vec<f64>,
}

/// A binary decision tree stored as a node list; node 0 is the root and every
/// child has a larger index than its parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// The nodes, root first.
    pub nodes: Vec<TreeNode>,
}

/// One tree node. A leaf has no feature and no children; an internal node
/// sends an input left when `x[feature] < threshold` (as linfa does), right
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeNode {
    /// Index (into [`ModelArtifact::features`]) of the split feature; `None` for a leaf.
    pub feature: Option<usize>,
    /// Split threshold (ignored on a leaf).
    pub threshold: f64,
    /// Child for `x[feature] < threshold`.
    pub left: Option<usize>,
    /// Child for `x[feature] >= threshold`.
    pub right: Option<usize>,
    /// Training rows (or their total weight) that reached this node; > 0, and
    /// an internal node's cover is the sum of its children's.
    pub cover: f64,
    /// Probability of default at this node (the prediction, on a leaf).
    pub probability: f64,
}

impl TreeNode {
    /// The children of an internal node, `None` on a leaf.
    pub fn split(&self) -> Option<(usize, usize, usize)> {
        match (self.feature, self.left, self.right) {
            (Some(f), Some(l), Some(r)) => Some((f, l, r)),
            _ => None,
        }
    }
}

/// Weights of the models in the ensemble probability (they sum to 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ensemble {
    /// Weight of the logistic regression, e.g. 0.6.
    pub logistic_weight: f64,
    /// Weight of the tree, e.g. 0.4.
    pub tree_weight: f64,
    /// Weight of the boosted challenger ([`ModelArtifact::boosted`]); 0, and
    /// absent from the JSON, when there is none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub boosted_weight: f64,
}

// A reference is what serde's `skip_serializing_if` passes.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// Provenance of a model: enough to find its data and judge it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    /// When it was trained (RFC 3339), or a note for a hand-set model.
    pub trained_at: String,
    /// Which data it was trained on.
    pub data: String,
    /// Training rows.
    pub rows: u64,
    /// Seed of the training split and sampling.
    pub seed: u64,
    /// Evaluation metrics by name (e.g. `"auc_test"`); finite values.
    pub metrics: BTreeMap<String, f64>,
    /// Free-form notes.
    pub notes: String,
}

impl ModelArtifact {
    /// Reads an artifact from JSON and validates it.
    pub fn parse(json: &str) -> Result<ModelArtifact, ArtifactError> {
        let artifact: ModelArtifact =
            serde_json::from_str(json).map_err(|e| ArtifactError::Json(e.to_string()))?;
        artifact.validate()?;
        Ok(artifact)
    }

    /// Canonical JSON: object keys sorted (by their UTF-8 bytes) at every
    /// level, no whitespace, numbers as serde_json writes them (shortest
    /// round-tripping form, so `1` read into an `f64` is written `1.0`).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        match serde_json::to_value(self) {
            Ok(value) => write_canonical(&value, &mut out),
            // Unreachable for this type (string keys only); a marker keeps
            // the function total without panicking.
            Err(e) => out.push_str(&format!("unserialisable artifact: {e}")),
        }
        out.into_bytes()
    }

    /// The artifact's version: lowercase hex SHA-256 of [`Self::canonical_bytes`].
    pub fn version(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// The model inputs of `features`, in the order of [`Self::features`].
    /// A name that is not a feature gives NaN (a validated artifact has none).
    pub fn inputs(&self, features: &Features) -> Vec<f64> {
        let all = features.to_vec();
        self.features
            .iter()
            .map(|name| match FEATURE_NAMES.iter().position(|n| n == name) {
                Some(i) => all[i],
                None => f64::NAN,
            })
            .collect()
    }
}
