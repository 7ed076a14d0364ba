//! Scoring: the logistic regression's and the tree's probabilities of
//! default, their weighted ensemble, and its band.
//!
//! Deterministic bit for bit: sums run in feature order, the exponential is
//! `libm::exp` (not the platform's), and nothing else is transcendental.

use serde::{Deserialize, Serialize};

use super::artifact::{Logistic, ModelArtifact, Standardiser, Tree};
use super::band::Band;
use crate::features::Features;

/// The model's view of one customer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scores {
    /// Probability of default from the logistic regression.
    pub logistic: f64,
    /// Probability of default from the tree (the reached leaf's).
    pub tree: f64,
    /// Probability of default from the boosted challenger, when the model
    /// has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosted: Option<f64>,
    /// `logistic_weight · logistic + tree_weight · tree (+ boosted_weight ·
    /// boosted)`.
    pub ensemble: f64,
    /// Band of the ensemble probability (before rules).
    pub band: Band,
}

/// The logistic function `1 / (1 + e^−z)`, computed without overflow.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + libm::exp(-z))
    } else {
        let e = libm::exp(z);
        e / (1.0 + e)
    }
}

impl Logistic {
    /// The log-odds `intercept + Σ_j coefficients[j] · (x[j] − mean[j]) / std[j]`,
    /// summed in feature order.
    pub fn log_odds(&self, standardisation: &[Standardiser], x: &[f64]) -> f64 {
        let mut z = self.intercept;
        for ((c, s), v) in self.coefficients.iter().zip(standardisation).zip(x) {
            z += c * ((v - s.mean) / s.std);
        }
        z
    }
}

impl Tree {
    /// Index of the leaf `x` reaches (left when `x[feature] < threshold`).
    /// `None` only on a malformed tree.
    pub fn leaf(&self, x: &[f64]) -> Option<usize> {
        let mut i = 0;
        // A validated tree is shallower than its node count; the bound keeps
        // a malformed one from looping.
        for _ in 0..=self.nodes.len() {
            let node = self.nodes.get(i)?;
            match node.split() {
                None => return Some(i),
                Some((f, l, r)) => i = if *x.get(f)? < node.threshold { l } else { r },
            }
        }
        None
    }

    /// Probability of the leaf `x` reaches (NaN on a malformed tree).
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.leaf(x)
            .and_then(|i| self.nodes.get(i))
            .map_or(f64::NAN, |n| n.probability)
    }
}

impl ModelArtifact {
    /// Scores `features` (validated artifact assumed).
    pub fn score(&self, features: &Features) -> Scores {
        self.score_inputs(&self.inputs(features))
    }

    /// Scores model inputs given in the order of [`ModelArtifact::features`].
    pub fn score_inputs(&self, x: &[f64]) -> Scores {
        let logistic = sigmoid(self.logistic.log_odds(&self.standardisation, x));
        let tree = self.tree.predict(x);
        let boosted = self.boosted.as_ref().map(|b| b.predict(x));
        let w = self.ensemble;
        let mut ensemble = w.logistic_weight * logistic + w.tree_weight * tree;
        if let Some(p) = boosted {
            ensemble += w.boosted_weight * p;
        }
        Scores {
            logistic,
            tree,
            boosted,
            ensemble,
            band: Band::of(ensemble, &self.bands),
        }
    }
}
