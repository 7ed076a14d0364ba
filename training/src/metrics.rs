//! Evaluation: AUC, accuracy, Brier score and KS of the logistic regression,
//! the tree and the ensemble, scored with the artifact's own inference code
//! (`ModelArtifact::score_inputs`, the code production runs).

use std::collections::BTreeMap;

use domain::features::FEATURE_NAMES;
use domain::risk::ModelArtifact;

use crate::dataset::Dataset;

/// Quality of one model's probabilities on one data set.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scorecard {
    /// Area under the ROC curve (rank-based, ties averaged); 0.5 when only
    /// one class is present.
    pub auc: f64,
    /// Share of rows classified correctly at probability 0.5.
    pub accuracy: f64,
    /// Mean squared error of the probability (Brier score).
    pub brier: f64,
    /// Kolmogorov–Smirnov statistic: the largest gap between the cumulative
    /// score distributions of defaulters and non-defaulters.
    pub ks: f64,
}

/// Quality of the three probabilities of a model on one data set.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Rows evaluated.
    pub rows: usize,
    /// Share of rows that defaulted.
    pub default_rate: f64,
    /// The logistic regression.
    pub logistic: Scorecard,
    /// The tree.
    pub tree: Scorecard,
    /// The 0.6 / 0.4 ensemble.
    pub ensemble: Scorecard,
}

impl Metrics {
    /// The metrics as `{model}_{metric}_{suffix}` entries (e.g.
    /// `ensemble_auc_test`) for [`domain::risk::TrainingInfo::metrics`];
    /// non-finite values are left out.
    pub fn named(&self, suffix: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (model, s) in [
            ("logistic", self.logistic),
            ("tree", self.tree),
            ("ensemble", self.ensemble),
        ] {
            for (metric, v) in [
                ("auc", s.auc),
                ("accuracy", s.accuracy),
                ("brier", s.brier),
                ("ks", s.ks),
            ] {
                if v.is_finite() {
                    out.insert(format!("{model}_{metric}_{suffix}"), v);
                }
            }
        }
        out
    }
}

/// Area under the ROC curve from ranks (Mann–Whitney U), tied scores
/// getting their average rank; 0.5 when either class is absent.
pub fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += rank * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum_pos - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Kolmogorov–Smirnov statistic: max over thresholds of |TPR − FPR|, tied
/// scores moving together; 0 when either class is absent.
pub fn ks(scores: &[f64], labels: &[bool]) -> f64 {
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut best) = (0.0, 0.0, 0.0_f64);
    for (n, &k) in order.iter().enumerate() {
        if labels[k] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order
            .get(n + 1)
            .is_none_or(|&next| scores[next] != scores[k]);
        if last_of_tie {
            best = best.max((tp / pos - fp / neg).abs());
        }
    }
    best
}

/// Accuracy at 0.5 (probability ≥ 0.5 predicts default).
pub fn accuracy(scores: &[f64], labels: &[bool]) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let right = scores
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| (p >= 0.5) == l)
        .count();
    right as f64 / scores.len() as f64
}

/// Brier score: mean of (p − label)².
pub fn brier(scores: &[f64], labels: &[bool]) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let sum: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&p, &l)| (p - f64::from(u8::from(l))).powi(2))
        .sum();
    sum / scores.len() as f64
}

/// All four metrics of one set of probabilities.
pub fn scorecard(scores: &[f64], labels: &[bool]) -> Scorecard {
    Scorecard {
        auc: auc(scores, labels),
        accuracy: accuracy(scores, labels),
        brier: brier(scores, labels),
        ks: ks(scores, labels),
    }
}

/// Scores every row of `data` (rows in `FEATURE_NAMES` order) with `model`,
/// picking the model's inputs by name, and measures the three probabilities.
pub fn evaluate(model: &ModelArtifact, data: &Dataset) -> Metrics {
    let positions: Vec<Option<usize>> = model
        .features
        .iter()
        .map(|name| FEATURE_NAMES.iter().position(|n| n == name))
        .collect();
    let (mut lr, mut tree, mut ens) = (Vec::new(), Vec::new(), Vec::new());
    for row in &data.x {
        let inputs: Vec<f64> = positions
            .iter()
            .map(|p| p.map_or(f64::NAN, |j| row[j]))
            .collect();
        let s = model.score_inputs(&inputs);
        lr.push(s.logistic);
        tree.push(s.tree);
        ens.push(s.ensemble);
    }
    Metrics {
        rows: data.len(),
        default_rate: data.positive_rate(),
        logistic: scorecard(&lr, &data.y),
        tree: scorecard(&tree, &data.y),
        ensemble: scorecard(&ens, &data.y),
    }
}
