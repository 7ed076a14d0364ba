//! A hand-set demonstration model over the fourteen features: sensible signs
//! and sizes, not fitted to data. Tests and the benchmark use it, and it is
//! the fallback until a trained artifact exists.
//!
//! - Logistic regression on standardised features, intercept −2.0 (≈ 12 % at
//!   the means): risk rises with utilisation, over-limit days, cash share,
//!   minimum-only payments, volatility, days past due and late months, and
//!   falls with spend growth, a wider merchant mix and a higher payment ratio.
//!   The background means are the standardisation means, so the SHAP base is
//!   the intercept.
//! - A depth-3 tree on utilisation, days past due and cash share (utilisation
//!   and days past due are split on twice along some paths) over 10 000 rows;
//!   leaf covers and probabilities are set by hand, internal covers and
//!   probabilities are their children's sums and cover-weighted means.
//! - Ensemble 0.6 / 0.4, bands 0.33 / 0.66, the seed rules.

use std::collections::BTreeMap;

use super::artifact::{
    BandThresholds, Ensemble, Logistic, ModelArtifact, Standardiser, TrainingInfo, Tree, TreeNode,
    SCHEMA,
};
use super::rules::RuleSet;
use crate::features::FEATURE_NAMES;

/// (mean, std, coefficient) per feature, in `FEATURE_NAMES` order.
const LOGISTIC: [(f64, f64, f64); 15] = [
    (0.35, 0.30, 0.55),  // utilisation
    (0.5, 2.0, 0.20),    // over_limit_count
    (0.05, 0.12, 0.35),  // cash_withdrawal_share
    (0.05, 0.45, -0.15), // spend_change_pct
    (0.55, 0.20, -0.05), // merchant_mix_index
    (0.0, 0.15, -0.10),  // merchant_mix_change
    (0.75, 0.30, -0.40), // payment_ratio
    (0.20, 0.30, 0.25),  // min_due_frequency
    (0.6, 1.3, 0.30),    // consecutive_min_only
    (0.4, 0.5, 0.10),    // payment_stability
    (0.45, 0.35, 0.08),  // spend_volatility
    (2.0, 8.0, 0.45),    // days_past_due
    (5.0, 14.0, 0.30),   // max_days_past_due_6m
    (0.4, 1.0, 0.35),    // late_months_6m
    (0.05, 0.25, 0.30),  // returned_payments_90d
];

const UTILISATION: usize = 0;
const CASH_SHARE: usize = 2;
const DAYS_PAST_DUE: usize = 11;

fn split(feature: usize, threshold: f64, left: usize, right: usize) -> TreeNode {
    TreeNode {
        feature: Some(feature),
        threshold,
        left: Some(left),
        right: Some(right),
        cover: 0.0,
        probability: 0.0,
    }
}

/// A leaf node with its training cover and probability.
pub(super) fn leaf(cover: f64, probability: f64) -> TreeNode {
    TreeNode {
        feature: None,
        threshold: 0.0,
        left: None,
        right: None,
        cover,
        probability,
    }
}

/// Fills internal covers (children's sum) and probabilities (cover-weighted
/// mean), children first (they come after their parent).
fn fill_internal(nodes: &mut [TreeNode]) {
    for i in (0..nodes.len()).rev() {
        if let Some((_, l, r)) = nodes[i].split() {
            let (left, right) = (nodes[l], nodes[r]);
            let cover = left.cover + right.cover;
            nodes[i].cover = cover;
            nodes[i].probability =
                (left.cover * left.probability + right.cover * right.probability) / cover;
        }
    }
}

/// The demonstration tree (see the module documentation).
fn demo_tree() -> Tree {
    let mut nodes = vec![
        split(UTILISATION, 0.80, 1, 2),     // 0
        split(DAYS_PAST_DUE, 1.0, 3, 4),    // 1: utilisation < 0.8
        split(DAYS_PAST_DUE, 1.0, 5, 6),    // 2: utilisation >= 0.8
        split(CASH_SHARE, 0.30, 7, 8),      // 3: not past due
        split(UTILISATION, 0.50, 9, 10),    // 4: past due
        split(CASH_SHARE, 0.30, 11, 12),    // 5: high utilisation, not past due
        split(DAYS_PAST_DUE, 30.0, 13, 14), // 6: high utilisation, past due
        leaf(7300.0, 0.06),
        leaf(300.0, 0.22),
        leaf(350.0, 0.28),
        leaf(250.0, 0.42),
        leaf(1250.0, 0.24),
        leaf(150.0, 0.45),
        leaf(260.0, 0.55),
        leaf(140.0, 0.78),
    ];
    fill_internal(&mut nodes);
    Tree { nodes }
}

/// The hand-set demonstration model (see the module documentation).
pub fn demo_artifact() -> ModelArtifact {
    let tree = demo_tree();
    ModelArtifact {
        schema: SCHEMA,
        name: "demo-hand-set-1".to_owned(),
        // The features it was set for (those before `credit_limit`), so its
        // version stays what it was.
        features: FEATURE_NAMES[..LOGISTIC.len()]
            .iter()
            .map(|n| (*n).to_owned())
            .collect(),
        standardisation: LOGISTIC
            .iter()
            .map(|&(mean, std, _)| Standardiser { mean, std })
            .collect(),
        logistic: Logistic {
            intercept: -2.0,
            coefficients: LOGISTIC.iter().map(|l| l.2).collect(),
        },
        tree_expected_value: tree.expected_value(),
        tree,
        ensemble: Ensemble {
            logistic_weight: 0.6,
            tree_weight: 0.4,
            boosted_weight: 0.0,
        },
        boosted: None,
        bands: BandThresholds {
            medium: 0.33,
            high: 0.66,
        },
        rules: RuleSet::seed(),
        background_means: LOGISTIC.iter().map(|l| l.0).collect(),
        training: TrainingInfo {
            trained_at: "not trained (hand-set)".to_owned(),
            data: "none: coefficients, tree and covers set by hand".to_owned(),
            rows: 10_000,
            seed: 0,
            metrics: BTreeMap::new(),
            notes: "Demonstration model with sensible signs; a fallback until a trained \
                    artifact exists. Not for real decisions."
                .to_owned(),
        },
    }
}
