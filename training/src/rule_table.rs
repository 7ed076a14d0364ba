//! Each rule measured on held-out point-in-time observations: how often it
//! fires, its precision and recall against the 90-day delinquency label,
//! its lift over the base rate, and what it adds over the model's own High
//! band (the share of delinquent observations it catches that the model
//! alone does not). Which rules set High is chosen per customer, as
//! deployed, by `log_training`'s calibration.

use domain::risk::{verdict, Band, ModelArtifact};
use serde::Serialize;

use crate::pit::Observation;

/// One rule's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleFigures {
    /// The rule's id.
    pub id: String,
    /// The band it sets in the artifact.
    pub band: Band,
    /// Observations it fired on.
    pub fired: usize,
    /// Share of observations it fired on.
    pub fire_rate: f64,
    /// Of those, the share that became delinquent within the horizon.
    pub precision: f64,
    /// Of the delinquent observations, the share it fired on.
    pub recall: f64,
    /// Precision ÷ the base rate.
    pub lift: f64,
    /// Of the delinquent observations, the share it fired on while the
    /// model's own band was below High.
    pub recall_over_model: f64,
}

/// The rule table and the model's own High-band precision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleTable {
    /// Observations measured.
    pub observations: usize,
    /// Share of them delinquent within the horizon.
    pub base_rate: f64,
    /// Precision of the model's own High band (before rules).
    pub model_high_precision: f64,
    /// Observations the model alone bands High.
    pub model_high: usize,
    /// One row per rule, in rule order.
    pub rules: Vec<RuleFigures>,
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Measures every rule of `model` on `observations`.
pub fn rule_table(model: &ModelArtifact, observations: &[Observation]) -> RuleTable {
    let n_rules = model.rules.rules.len();
    let (mut fired, mut hits, mut over_model) =
        (vec![0; n_rules], vec![0; n_rules], vec![0; n_rules]);
    let (mut positives, mut model_high, mut model_hits) = (0, 0, 0);
    for o in observations {
        let v = verdict(model, &o.features);
        let high = v.scores.band == Band::High;
        positives += usize::from(o.label);
        model_high += usize::from(high);
        model_hits += usize::from(high && o.label);
        for r in &v.fired_rules {
            if let Some(k) = model.rules.rules.iter().position(|x| x.id == r.id) {
                fired[k] += 1;
                hits[k] += usize::from(o.label);
                over_model[k] += usize::from(o.label && !high);
            }
        }
    }
    let base_rate = share(positives, observations.len());
    RuleTable {
        observations: observations.len(),
        base_rate,
        model_high_precision: share(model_hits, model_high),
        model_high,
        rules: model
            .rules
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let precision = share(hits[k], fired[k]);
                RuleFigures {
                    id: r.id.clone(),
                    band: r.band,
                    fired: fired[k],
                    fire_rate: share(fired[k], observations.len()),
                    precision,
                    recall: share(hits[k], positives),
                    lift: if base_rate > 0.0 {
                        precision / base_rate
                    } else {
                        0.0
                    },
                    recall_over_model: share(over_model[k], positives),
                }
            })
            .collect(),
    }
}
