//! The challenger: gradient-boosted trees in log-odds, scored, explained and
//! checked.
//!
//! `P = σ(base_log_odds + Σ_t tree_t(x))`, every tree a [`Tree`] whose leaf
//! value (its `probability` field) is that tree's step in log-odds. The sum
//! runs in tree order, so the score is the same bit for bit everywhere.
//!
//! Explanations are exact in log-odds: each tree's path-dependent TreeSHAP
//! values (`treeshap`) add up to `tree_t(x) − E[tree_t]`, and Shapley values
//! are additive over a sum of games, so the per-feature sums over the trees
//! are the exact TreeSHAP values of the whole forest:
//! `E[F] + Σ_j φ_j = F(x)` with `E[F] = base_log_odds + Σ_t E[tree_t]`. Into
//! probability they are rescaled as the logistic regression's are (one
//! factor `(σ(F(x)) − σ(E[F])) / Σφ`, σ'(E[F]) when the sum is flat), so they
//! keep their signs and ratios and add up to `P(x) − σ(E[F])`.

use serde::{Deserialize, Serialize};

use super::artifact::Tree;
use super::checks::ArtifactError;
use super::score::sigmoid;
use super::validate::validate_tree;

/// A gradient-boosted forest (log-loss, Newton steps), the challenger model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boosted {
    /// Log-odds before any tree (the training prior's).
    pub base_log_odds: f64,
    /// The trees, in the order they were grown; each leaf's `probability`
    /// field holds its log-odds step (learning rate included), any sign.
    pub trees: Vec<Tree>,
}

impl Boosted {
    /// The forest's log-odds `base_log_odds + Σ_t tree_t(x)`, summed in tree
    /// order (NaN on a malformed tree).
    pub fn log_odds(&self, x: &[f64]) -> f64 {
        let mut z = self.base_log_odds;
        for tree in &self.trees {
            z += tree.predict(x);
        }
        z
    }

    /// The probability of default `σ(log_odds(x))`.
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.log_odds(x))
    }

    /// `E[F]`: the base plus each tree's cover-weighted expectation, the base
    /// of [`Boosted::shap`].
    pub fn expected_log_odds(&self) -> f64 {
        let mut z = self.base_log_odds;
        for tree in &self.trees {
            z += tree.expected_value();
        }
        z
    }

    /// Exact path-dependent TreeSHAP values of the forest's log-odds, one per
    /// model feature: `expected_log_odds() + Σ φ = log_odds(x)` to rounding.
    pub fn shap(&self, x: &[f64], n_features: usize) -> Vec<f64> {
        let mut phi = vec![0.0; n_features];
        for tree in &self.trees {
            for (p, t) in phi.iter_mut().zip(tree.shap(x, n_features)) {
                *p += t;
            }
        }
        phi
    }

    /// Checks the forest: a finite base, at least one tree, and every tree
    /// well formed (as the decision tree is, except that leaf values are
    /// log-odds steps: finite, of any sign).
    pub fn validate(&self, n_features: usize) -> Result<(), ArtifactError> {
        if !self.base_log_odds.is_finite() {
            return Err(ArtifactError::Invalid {
                field: "boosted.base_log_odds".into(),
                reason: format!("{} is not finite", self.base_log_odds),
            });
        }
        if self.trees.is_empty() {
            return Err(ArtifactError::Invalid {
                field: "boosted.trees".into(),
                reason: "is empty".into(),
            });
        }
        for (t, tree) in self.trees.iter().enumerate() {
            validate_tree(tree, n_features, false).map_err(|e| ArtifactError::Invalid {
                field: format!("boosted.trees[{t}]"),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }
}
