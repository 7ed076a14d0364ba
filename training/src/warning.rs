//! Evaluation on point-in-time observations: for the LR, the tree, the
//! ensemble and the ensemble with rules — AUC, accuracy, precision and recall
//! of the High band, Brier score, KS — plus the band mix and the early-warning
//! figures: the share of customers who became delinquent that were flagged
//! High at least 30 days before, the median lead time, and the share of
//! never-delinquent customers ever flagged High (false alarms).
//!
//! Scores come from the production code (`domain::risk::assess`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use domain::risk::{assess, Band, ModelArtifact};
use serde::Serialize;

use crate::metrics::{accuracy, auc, brier, ks};
use crate::pit::Observation;

/// Figures of one scorer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScorerFigures {
    /// Area under the ROC curve.
    pub auc: f64,
    /// Accuracy at 0.5.
    pub accuracy: f64,
    /// Of the observations flagged High, the share that went delinquent.
    pub precision_high: f64,
    /// Of the observations that went delinquent, the share flagged High.
    pub recall_high: f64,
    /// Brier score.
    pub brier: f64,
    /// Kolmogorov–Smirnov statistic.
    pub ks: f64,
}

/// Early-warning figures (ensemble + rules).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EarlyWarning {
    /// Customers observed who became delinquent.
    pub delinquent_customers: usize,
    /// Of those, the share flagged High at least 30 days before.
    pub flagged_30_days_early: f64,
    /// Median days from the first High flag to delinquency (flagged ones).
    pub median_lead_days: f64,
    /// Customers observed who never became delinquent.
    pub never_delinquent_customers: usize,
    /// Of those, the share ever flagged High.
    pub false_alarm_rate: f64,
    /// Lead time in days of every delinquent customer flagged before
    /// delinquency (for the histogram).
    #[serde(skip)]
    pub lead_days: Vec<f64>,
}

/// The whole evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Observations scored.
    pub observations: usize,
    /// Share of observations labelled delinquent within the horizon.
    pub positive_rate: f64,
    /// Per scorer: `logistic`, `tree`, `ensemble`, `ensemble_rules`.
    pub scorers: BTreeMap<String, ScorerFigures>,
    /// Share of observations per final band.
    pub band_mix: BTreeMap<String, f64>,
    /// Early-warning figures.
    pub early_warning: EarlyWarning,
}

fn figures(scores: &[f64], high: &[bool], labels: &[bool]) -> ScorerFigures {
    let flagged = high.iter().filter(|h| **h).count();
    let positives = labels.iter().filter(|l| **l).count();
    let hits = high.iter().zip(labels).filter(|(h, l)| **h && **l).count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    ScorerFigures {
        auc: auc(scores, labels),
        accuracy: accuracy(scores, labels),
        precision_high: ratio(hits, flagged),
        recall_high: ratio(hits, positives),
        brier: brier(scores, labels),
        ks: ks(scores, labels),
    }
}

/// Evaluates `model` on `observations`.
pub fn evaluate_observations(model: &ModelArtifact, observations: &[Observation]) -> Evaluation {
    let labels: Vec<bool> = observations.iter().map(|o| o.label).collect();
    let assessments: Vec<_> = observations
        .iter()
        .map(|o| assess(model, &o.features))
        .collect();
    let high = |p: f64| Band::of(p, &model.bands) == Band::High;
    let mut scorers = BTreeMap::new();
    let pick = |f: &dyn Fn(&domain::risk::Assessment) -> f64| {
        assessments.iter().map(f).collect::<Vec<f64>>()
    };
    let mut parts = vec![
        ("logistic", pick(&|a| a.scores.logistic)),
        ("tree", pick(&|a| a.scores.tree)),
        ("ensemble", pick(&|a| a.scores.ensemble)),
    ];
    if model.boosted.is_some() {
        parts.push(("boosted", pick(&|a| a.scores.boosted.unwrap_or(f64::NAN))));
    }
    for (name, scores) in parts {
        let flags: Vec<bool> = scores.iter().map(|p| high(*p)).collect();
        scorers.insert(name.to_owned(), figures(&scores, &flags, &labels));
    }
    let ensemble = pick(&|a| a.scores.ensemble);
    let final_high: Vec<bool> = assessments.iter().map(|a| a.band == Band::High).collect();
    scorers.insert(
        "ensemble_rules".to_owned(),
        figures(&ensemble, &final_high, &labels),
    );

    let mut band_mix = BTreeMap::new();
    for a in &assessments {
        *band_mix.entry(format!("{:?}", a.band)).or_insert(0.0) +=
            1.0 / observations.len().max(1) as f64;
    }

    // Early warning, per customer, with the final band.
    let mut first_high: BTreeMap<&str, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
    let mut customers: BTreeMap<&str, Option<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
    for (o, h) in observations.iter().zip(&final_high) {
        customers.insert(&o.customer_id, o.first_delinquent);
        if *h {
            first_high.entry(&o.customer_id).or_insert(o.at);
        }
    }
    let delinquent: BTreeSet<&str> = customers
        .iter()
        .filter(|(_, d)| d.is_some())
        .map(|(c, _)| *c)
        .collect();
    let mut leads: Vec<f64> = Vec::new();
    let mut early = 0;
    for c in &delinquent {
        let (Some(Some(d)), Some(flag)) = (customers.get(c), first_high.get(c)) else {
            continue;
        };
        let lead = (*d - *flag).num_hours() as f64 / 24.0;
        leads.push(lead);
        if *d - *flag >= Duration::days(30) {
            early += 1;
        }
    }
    leads.sort_by(f64::total_cmp);
    let median = match leads.len() {
        0 => 0.0,
        n if n % 2 == 1 => leads[n / 2],
        n => (leads[n / 2 - 1] + leads[n / 2]) / 2.0,
    };
    let never = customers.len() - delinquent.len();
    let false_alarms = customers
        .iter()
        .filter(|(c, d)| d.is_none() && first_high.contains_key(*c))
        .count();
    Evaluation {
        observations: observations.len(),
        positive_rate: labels.iter().filter(|l| **l).count() as f64 / labels.len().max(1) as f64,
        scorers,
        band_mix,
        early_warning: EarlyWarning {
            delinquent_customers: delinquent.len(),
            flagged_30_days_early: if delinquent.is_empty() {
                0.0
            } else {
                early as f64 / delinquent.len() as f64
            },
            median_lead_days: median,
            never_delinquent_customers: never,
            false_alarm_rate: if never == 0 {
                0.0
            } else {
                false_alarms as f64 / never as f64
            },
            lead_days: leads,
        },
    }
}
