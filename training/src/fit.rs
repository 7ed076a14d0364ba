//! Fitting: a logistic regression on standardised features and a decision
//! tree on raw features (both linfa 0.8), assembled into a validated
//! [`ModelArtifact`].
//!
//! # linfa pitfalls handled here (see the shared model notes)
//! - linfa-logistic 0.8.1 calls the *more frequent* label the positive class,
//!   so on default data it models P(no default). The fitted model's
//!   `labels().pos.class` is checked and intercept and coefficients are
//!   negated when it is `false`, so the artifact always gives P(default).
//! - Inputs to the regression are standardised (unscaled inputs silently
//!   give a useless model); constant features get std 1.0, others a floor of
//!   1e-9.
//! - The tree gives labels only: covers and probabilities come from routing
//!   the training rows (`crate::tree`).
//!
//! # Determinism
//! Means and standard deviations are summed in row order; nothing in this
//! crate iterates a `HashMap`; the regression's solver (L-BFGS) is
//! deterministic. The residual: linfa-trees keeps class frequencies in a
//! `HashMap` and breaks an exact tie of class weights at a node by that
//! map's iteration order, which is random per process; the tie decides the
//! node's predicted label and so its pruning. Fitting twice in one process
//! gives the same artifact; two processes can, rarely, differ. Persist the
//! artifact; never refit to reproduce a decision.

use std::collections::BTreeMap;

use domain::features::{FEATURE_COUNT, FEATURE_NAMES};
use domain::risk::{
    BandThresholds, Ensemble, Logistic, ModelArtifact, RuleSet, Standardiser, TrainingInfo, SCHEMA,
};
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use linfa_trees::DecisionTree;
use ndarray::{Array1, Array2};

use crate::dataset::Dataset;
use crate::tree::convert;
use crate::TrainingError;

/// Hyper-parameters of a fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitConfig {
    /// L2 penalty of the logistic regression (linfa's `alpha`, summed loss).
    pub alpha: f64,
    /// Maximum depth of the tree.
    pub max_depth: usize,
    /// Minimum rows (weight) in a tree leaf.
    pub min_weight_leaf: f32,
    /// Seed of the split and sampling, recorded in the artifact.
    pub seed: u64,
    /// Leave out features whose learned direction contradicts
    /// [`DIRECTIONS`] (from both models).
    pub known_directions: bool,
    /// Features left out of both models whatever the data says (held
    /// constant), e.g. `credit_limit` on a simulated portfolio, whose limits
    /// are the generator's choice and say nothing about another portfolio.
    pub leave_out: &'static [&'static str],
}

impl Default for FitConfig {
    /// α = 1, depth 5, at least 50 rows per leaf, seed 20_051_001, known
    /// directions enforced.
    fn default() -> Self {
        FitConfig {
            alpha: 1.0,
            max_depth: 5,
            min_weight_leaf: 50.0,
            seed: 20_051_001,
            known_directions: true,
            leave_out: &[],
        }
    }
}

/// Ensemble weights of the logistic regression and the tree.
pub const ENSEMBLE: Ensemble = Ensemble {
    logistic_weight: 0.6,
    tree_weight: 0.4,
    boosted_weight: 0.0,
};

/// Band thresholds on the ensemble probability.
pub const BANDS: BandThresholds = BandThresholds {
    medium: 0.33,
    high: 0.66,
};

/// Per-feature mean and standard deviation (population), summed in row order.
pub fn standardisers(x: &[[f64; FEATURE_COUNT]]) -> Vec<Standardiser> {
    let n = x.len().max(1) as f64;
    (0..FEATURE_COUNT)
        .map(|j| {
            let mean = x.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = x.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
            let constant = x.iter().all(|r| r[j] == x.first().map_or(0.0, |f| f[j]));
            let std = if constant { 1.0 } else { var.sqrt().max(1e-9) };
            Standardiser { mean, std }
        })
        .collect()
}

fn matrix(rows: usize, value: impl Fn(usize, usize) -> f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, FEATURE_COUNT), |(i, j)| value(i, j))
}

/// The direction in which risk moves with each feature, where it is known
/// (in [`FEATURE_NAMES`] order): `1` risk rises with the feature, `-1` it
/// falls, `0` either way (a spend change or volatility can be stress in
/// both directions). A simulator can teach the opposite by accident — on
/// rows months before a delinquency, a days-past-due blip is a healthy late
/// payer's — and a model that learned "more days past due, less risk" is
/// wrong on every other portfolio.
pub const DIRECTIONS: [i8; FEATURE_COUNT] =
    [1, 1, 1, 0, -1, -1, -1, 1, 1, 1, 0, 1, 1, 1, 1, -1, 1, -1];

/// The features left out so that every known direction holds: fits the
/// regression, drops the feature whose coefficient has the wrong sign by
/// the most, and fits again until none has.
fn excluded_features(
    train: &Dataset,
    std: &[Standardiser],
    alpha: f64,
    leave_out: &[&str],
) -> Result<Vec<bool>, TrainingError> {
    let mut excluded = left_out_by_config(leave_out);
    for _ in 0..FEATURE_COUNT {
        let lr = fit_logistic(train, std, alpha, &excluded)?;
        let worst = lr
            .coefficients
            .iter()
            .zip(DIRECTIONS)
            .enumerate()
            .filter(|(j, (c, d))| !excluded[*j] && **c * f64::from(*d) < 0.0)
            .max_by(|a, b| (a.1 .0.abs()).total_cmp(&b.1 .0.abs()))
            .map(|(j, _)| j);
        match worst {
            Some(j) => excluded[j] = true,
            None => break,
        }
    }
    Ok(excluded)
}

/// Fits the logistic regression on standardised rows, with the `excluded`
/// features held at their mean (coefficient 0); returns P(default)'s
/// intercept and coefficients.
fn fit_logistic(
    train: &Dataset,
    std: &[Standardiser],
    alpha: f64,
    excluded: &[bool],
) -> Result<Logistic, TrainingError> {
    let x = matrix(train.len(), |i, j| {
        if excluded[j] {
            0.0
        } else {
            (train.x[i][j] - std[j].mean) / std[j].std
        }
    });
    let y: Array1<bool> = train.y.iter().copied().collect();
    let model = LogisticRegression::<f64>::default()
        .alpha(alpha)
        .max_iterations(200)
        .fit(&linfa::Dataset::new(x, y))
        .map_err(|e| TrainingError::Fit(format!("logistic regression: {e}")))?;
    // linfa 0.8.1 models the more frequent class: flip to P(default).
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    Ok(Logistic {
        intercept: sign * model.intercept(),
        coefficients: model
            .params()
            .iter()
            .zip(excluded)
            .map(|(c, out)| if *out { 0.0 } else { sign * c })
            .collect(),
    })
}

/// Fits the logistic regression and the tree on `train` and returns the
/// validated artifact (`training.metrics` empty: fill it after evaluating
/// and validate again). `trained_at` is recorded as given (RFC 3339); the
/// clock is never read.
pub fn fit(
    train: &Dataset,
    cfg: &FitConfig,
    name: &str,
    data_description: &str,
    trained_at: &str,
) -> Result<ModelArtifact, TrainingError> {
    if train.is_empty() {
        return Err(TrainingError::Data("empty training set".into()));
    }
    if train.x.iter().flatten().any(|v| !v.is_finite()) {
        return Err(TrainingError::Data("non-finite feature value".into()));
    }
    let standardisation = standardisers(&train.x);
    let excluded = if cfg.known_directions {
        excluded_features(train, &standardisation, cfg.alpha, cfg.leave_out)?
    } else {
        left_out_by_config(cfg.leave_out)
    };
    let logistic = fit_logistic(train, &standardisation, cfg.alpha, &excluded)?;

    // The tree may not split on a left-out feature either (held constant).
    let raw = matrix(
        train.len(),
        |i, j| if excluded[j] { 0.0 } else { train.x[i][j] },
    );
    let labels: Array1<usize> = train.y.iter().map(|&d| usize::from(d)).collect();
    let fitted = DecisionTree::params()
        .max_depth(Some(cfg.max_depth))
        .min_weight_leaf(cfg.min_weight_leaf)
        .fit(&linfa::Dataset::new(raw, labels))
        .map_err(|e| TrainingError::Fit(format!("decision tree: {e}")))?;
    let tree = convert(fitted.root_node(), &train.x, &train.y)?;
    let tree_expected_value = tree.expected_value();

    let artifact = ModelArtifact {
        schema: SCHEMA,
        name: name.to_owned(),
        features: FEATURE_NAMES.iter().map(|&n| n.to_owned()).collect(),
        background_means: standardisation.iter().map(|s| s.mean).collect(),
        standardisation,
        logistic,
        tree,
        boosted: None,
        ensemble: ENSEMBLE,
        bands: BANDS,
        rules: RuleSet::seed(),
        tree_expected_value,
        training: TrainingInfo {
            trained_at: trained_at.to_owned(),
            data: data_description.to_owned(),
            rows: train.len() as u64,
            seed: cfg.seed,
            metrics: BTreeMap::new(),
            notes: format!(
                "linfa 0.8.1: logistic regression (alpha {}, 200 iterations, standardised \
                 inputs, positive class checked) and decision tree (gini, max depth {}, min \
                 leaf weight {}; leaf P = (defaults + 1) / (rows + 2) from the training rows); \
                 ensemble 0.6 / 0.4. Left out of both (by configuration, or because their learned \
                 direction contradicted the known one): {}. Refits are not guaranteed bit-identical \
                 across processes.",
                cfg.alpha,
                cfg.max_depth,
                cfg.min_weight_leaf,
                left_out(&excluded)
            ),
        },
    };
    artifact
        .validate()
        .map_err(|e| TrainingError::Artifact(e.to_string()))?;
    Ok(artifact)
}

/// The mask of the features a configuration leaves out.
pub(crate) fn left_out_by_config(leave_out: &[&str]) -> Vec<bool> {
    FEATURE_NAMES
        .iter()
        .map(|n| leave_out.contains(n))
        .collect()
}

fn left_out(excluded: &[bool]) -> String {
    let names: Vec<&str> = FEATURE_NAMES
        .iter()
        .zip(excluded)
        .filter(|(_, out)| **out)
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
