//! Validation of a [`ModelArtifact`]: everything scoring and explaining rely
//! on, checked once when an artifact is read so that the hot path need not.
//!
//! Checked: the schema; distinct, known feature names; every per-feature list
//! as long as the feature list; finite numbers; standard deviations > 0; a
//! well-formed tree (node 0 the root, children after their parent, every other
//! node with exactly one parent, leaves without split, covers > 0 and each
//! internal cover the sum of its children's to 1e-9 relative, probabilities in
//! [0, 1], split features in range); `tree_expected_value` equal to the tree's
//! cover-weighted expectation to 1e-9; ensemble weights in [0, 1] summing to 1
//! (±1e-9); 0 < medium < high ≤ 1; a valid rule set; a boosted model when
//! its weight is above 0, and a well-formed one when present (see `boosted`).

use super::artifact::{ModelArtifact, Tree, SCHEMA};
use super::checks::{check_feature_names, ArtifactError};

/// Tolerance of the sums checked (covers, weights, expected value).
const TOLERANCE: f64 = 1e-9;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ArtifactError {
    ArtifactError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn finite(field: impl FnOnce() -> String, v: f64) -> Result<(), ArtifactError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(field(), format!("{v} is not finite")))
    }
}

fn length(field: &str, expected: usize, found: usize) -> Result<(), ArtifactError> {
    if expected == found {
        Ok(())
    } else {
        Err(ArtifactError::Length {
            field: field.to_owned(),
            expected,
            found,
        })
    }
}

impl ModelArtifact {
    /// Checks the artifact (see the module documentation for the list).
    pub fn validate(&self) -> Result<(), ArtifactError> {
        if self.schema != SCHEMA {
            return Err(ArtifactError::Schema { found: self.schema });
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "is empty"));
        }
        if self.features.is_empty() {
            return Err(invalid("features", "is empty"));
        }
        check_feature_names(&self.features)?;
        let n = self.features.len();
        length("standardisation", n, self.standardisation.len())?;
        length("logistic.coefficients", n, self.logistic.coefficients.len())?;
        length("background_means", n, self.background_means.len())?;
        for (j, s) in self.standardisation.iter().enumerate() {
            finite(|| format!("standardisation[{j}].mean"), s.mean)?;
            finite(|| format!("standardisation[{j}].std"), s.std)?;
            if s.std <= 0.0 {
                return Err(invalid(format!("standardisation[{j}].std"), "must be > 0"));
            }
        }
        finite(|| "logistic.intercept".into(), self.logistic.intercept)?;
        for (j, c) in self.logistic.coefficients.iter().enumerate() {
            finite(|| format!("logistic.coefficients[{j}]"), *c)?;
        }
        for (j, m) in self.background_means.iter().enumerate() {
            finite(|| format!("background_means[{j}]"), *m)?;
        }
        validate_tree(&self.tree, n, true)?;
        finite(|| "tree_expected_value".into(), self.tree_expected_value)?;
        let expected = self.tree.expected_value();
        if (self.tree_expected_value - expected).abs() > TOLERANCE {
            return Err(invalid(
                "tree_expected_value",
                format!(
                    "is {} but the tree's covers give {expected}",
                    self.tree_expected_value
                ),
            ));
        }
        let w = self.ensemble;
        for (field, v) in [
            ("ensemble.logistic_weight", w.logistic_weight),
            ("ensemble.tree_weight", w.tree_weight),
            ("ensemble.boosted_weight", w.boosted_weight),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(field, format!("{v} is not in [0, 1]")));
            }
        }
        if (w.logistic_weight + w.tree_weight + w.boosted_weight - 1.0).abs() > TOLERANCE {
            return Err(invalid("ensemble", "weights do not sum to 1"));
        }
        match &self.boosted {
            Some(boosted) => boosted.validate(n)?,
            None if w.boosted_weight > 0.0 => {
                return Err(invalid(
                    "ensemble.boosted_weight",
                    "is above 0 but the artifact has no boosted model",
                ))
            }
            None => {}
        }
        let b = self.bands;
        if !(b.medium > 0.0 && b.medium < b.high && b.high <= 1.0) {
            return Err(invalid(
                "bands",
                format!(
                    "need 0 < medium < high <= 1, got {} and {}",
                    b.medium, b.high
                ),
            ));
        }
        self.rules.validate()?;
        for (k, v) in &self.training.metrics {
            finite(|| format!("training.metrics.{k}"), *v)?;
        }
        Ok(())
    }
}

/// Checks one tree's shape and covers; `probabilities` also requires node
/// values in [0, 1] (the decision tree's; a boosted tree's are log-odds
/// steps, only finite).
pub(super) fn validate_tree(
    tree: &Tree,
    n_features: usize,
    probabilities: bool,
) -> Result<(), ArtifactError> {
    let nodes = &tree.nodes;
    if nodes.is_empty() {
        return Err(invalid("tree.nodes", "is empty"));
    }
    let bad = |node: usize, reason: String| ArtifactError::Tree { node, reason };
    let mut parents = vec![0u32; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if !(node.cover.is_finite() && node.cover > 0.0) {
            return Err(bad(
                i,
                format!("cover {} is not finite and > 0", node.cover),
            ));
        }
        if !node.probability.is_finite()
            || (probabilities && !(0.0..=1.0).contains(&node.probability))
        {
            return Err(bad(
                i,
                format!("probability {} is not in [0, 1]", node.probability),
            ));
        }
        if !node.threshold.is_finite() {
            return Err(bad(i, "threshold is not finite".into()));
        }
        match (node.feature, node.left, node.right) {
            (None, None, None) => {}
            (Some(f), Some(l), Some(r)) => {
                if f >= n_features {
                    return Err(bad(i, format!("feature {f} is out of range")));
                }
                for child in [l, r] {
                    if child <= i || child >= nodes.len() {
                        return Err(bad(
                            i,
                            format!("child {child} is not after it and in range"),
                        ));
                    }
                    parents[child] += 1;
                }
                let sum = nodes[l].cover + nodes[r].cover;
                if (node.cover - sum).abs() > TOLERANCE * node.cover {
                    return Err(bad(
                        i,
                        format!("cover {} is not its children's sum {sum}", node.cover),
                    ));
                }
            }
            _ => {
                return Err(bad(
                    i,
                    "needs all of feature, left and right, or none".into(),
                ))
            }
        }
    }
    for (i, count) in parents.iter().enumerate().skip(1) {
        if *count != 1 {
            return Err(bad(i, format!("has {count} parents, not 1")));
        }
    }
    Ok(())
}
