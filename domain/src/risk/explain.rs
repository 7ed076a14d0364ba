//! Per-feature contributions to one customer's scores (SHAP values), and how
//! honest each part is.
//!
//! - **Logistic regression: exact in log-odds, rescaled into probability.**
//!   Treating features as independent with the training means μ as the
//!   background, the Shapley values of the log-odds are exactly
//!   `φ_j = coef_j · (x_j − μ_j) / std_j`, from the base
//!   `b = intercept + Σ coef_j · (μ_j − mean_j) / std_j` (the intercept when the
//!   background means are the standardisation means). The sigmoid is not
//!   linear, so in probability space each φ_j is multiplied by the same factor
//!   `(σ(z) − σ(b)) / Σφ` (by σ'(b) when `|Σφ| < 1e-9`): the rescaled values
//!   add up to `P_lr(x) − σ(b)` and keep their signs and ratios, but they are a
//!   proportional split, not Shapley values of the probability.
//! - **Tree: exact path-dependent TreeSHAP** in probability space (see
//!   `treeshap`): `Σ φ_tree = P_tree(x) − E[tree]`, with `E[tree]` the
//!   cover-weighted expectation at the root.
//! - **Boosted challenger (when present): exact TreeSHAP of the forest in
//!   log-odds**, rescaled into probability as the regression's are (see
//!   `boosted`).
//! - **Ensemble: additive combination**, `combined_j = w_lr · lr_j + w_tree ·
//!   tree_j (+ w_boost · boosted_j)`, summing to `P(x) − (w_lr · σ(b) + w_tree
//!   · E[tree] (+ w_boost · σ(E[F])))`.
//!
//! All sums run in feature order, so the result is the same bit for bit on
//! every machine.

use serde::{Deserialize, Serialize};

use super::artifact::ModelArtifact;
use super::score::sigmoid;
use crate::features::Features;

/// Below this |Σφ| in log-odds the probability rescaling uses σ'(b).
const FLAT: f64 = 1e-9;

/// Why one customer's ensemble probability differs from the base value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// Ensemble base: `w_lr · σ(b) + w_tree · E[tree]`; with the
    /// contributions' `combined` values it sums to the ensemble probability.
    pub base_value: f64,
    /// The logistic regression's base probability σ(b).
    pub logistic_base: f64,
    /// The tree's expected value `E[tree]`.
    pub tree_base: f64,
    /// The boosted challenger's base probability σ(E[F]), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosted_base: Option<f64>,
    /// One entry per model feature, in the artifact's feature order.
    pub contributions: Vec<Contribution>,
    /// How the values were computed, in words.
    pub method: String,
}

/// One feature's share of the scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contribution {
    /// Feature name.
    pub feature: String,
    /// The customer's raw feature value.
    pub value: f64,
    /// Exact SHAP value of the logistic regression's log-odds.
    pub lr_log_odds: f64,
    /// The logistic regression's contribution in probability (rescaled).
    pub lr: f64,
    /// The tree's path-dependent TreeSHAP value, in probability.
    pub tree: f64,
    /// Exact TreeSHAP value of the boosted challenger's log-odds, when there
    /// is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosted_log_odds: Option<f64>,
    /// The boosted challenger's contribution in probability (rescaled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosted: Option<f64>,
    /// `w_lr · lr + w_tree · tree (+ w_boost · boosted)`: the contribution to
    /// the ensemble.
    pub combined: f64,
}

impl ModelArtifact {
    /// The log-odds base `b` of the logistic regression's SHAP values.
    pub fn logistic_base_log_odds(&self) -> f64 {
        self.logistic
            .log_odds(&self.standardisation, &self.background_means)
    }

    /// Explains the scores of `features` (validated artifact assumed).
    pub fn explain(&self, features: &Features) -> Explanation {
        self.explain_inputs(&self.inputs(features))
    }

    /// Explains the scores of model inputs in the artifact's feature order.
    pub fn explain_inputs(&self, x: &[f64]) -> Explanation {
        let lr = &self.logistic;
        let mut log_odds = Vec::with_capacity(self.features.len());
        let mut total = 0.0;
        for (((c, s), mu), v) in lr
            .coefficients
            .iter()
            .zip(&self.standardisation)
            .zip(&self.background_means)
            .zip(x)
        {
            let phi = c * ((v - mu) / s.std);
            total += phi;
            log_odds.push(phi);
        }
        let base = self.logistic_base_log_odds();
        let z = lr.log_odds(&self.standardisation, x);
        let (p_base, p) = (sigmoid(base), sigmoid(z));
        let scale = rescale(total, p_base, p);
        let boosted = self.boosted.as_ref().map(|b| {
            let phi = b.shap(x, self.features.len());
            let total = phi.iter().sum::<f64>();
            let base = sigmoid(b.expected_log_odds());
            let scale = rescale(total, base, b.predict(x));
            (phi, base, scale)
        });
        let tree = self.tree.shap(x, self.features.len());
        let tree_base = self.tree.expected_value();
        let w = self.ensemble;
        let contributions = self
            .features
            .iter()
            .zip(x)
            .zip(log_odds.iter().zip(&tree))
            .enumerate()
            .map(|(j, ((feature, v), (phi, t)))| {
                let lr = phi * scale;
                let mut combined = w.logistic_weight * lr + w.tree_weight * t;
                let (mut boosted_log_odds, mut boosted_p) = (None, None);
                if let Some((b_phi, _, b_scale)) = &boosted {
                    let b = b_phi[j];
                    boosted_log_odds = Some(b);
                    boosted_p = Some(b * b_scale);
                    combined += w.boosted_weight * (b * b_scale);
                }
                Contribution {
                    feature: feature.clone(),
                    value: *v,
                    lr_log_odds: *phi,
                    lr,
                    tree: *t,
                    boosted_log_odds,
                    boosted: boosted_p,
                    combined,
                }
            })
            .collect();
        let mut base_value = w.logistic_weight * p_base + w.tree_weight * tree_base;
        let mut method = format!(
            "logistic: exact linear SHAP in log-odds (independent features, background = \
             training means), rescaled proportionally into probability; tree: exact \
             path-dependent TreeSHAP (Lundberg et al. 2018) in probability; combined: \
             {} x logistic + {} x tree, additive",
            w.logistic_weight, w.tree_weight
        );
        let boosted_base = boosted.as_ref().map(|(_, base, _)| *base);
        if let Some(base) = boosted_base {
            base_value += w.boosted_weight * base;
            method.push_str(&format!(
                " + {} x boosted (exact path-dependent TreeSHAP of the forest in log-odds, \
                 rescaled proportionally into probability)",
                w.boosted_weight
            ));
        }
        Explanation {
            base_value,
            logistic_base: p_base,
            tree_base,
            boosted_base,
            contributions,
            method,
        }
    }
}

/// The factor taking log-odds SHAP values into probability: `(p − p_base) /
/// Σφ`, or σ'(base) = `p_base · (1 − p_base)` when the sum is flat.
fn rescale(total: f64, p_base: f64, p: f64) -> f64 {
    if total.abs() < FLAT {
        p_base * (1.0 - p_base)
    } else {
        (p - p_base) / total
    }
}
