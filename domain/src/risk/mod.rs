//! Risk assessment: score a customer's [`Features`] with a versioned model
//! artifact, raise the band with rules, explain the score feature by feature
//! and say why in plain language.
//!
//! Pure and deterministic bit for bit: no I/O, clock or randomness; sums in
//! feature order; `libm` for the exponential; the artifact's version is a hash
//! of its canonical JSON, so a decision can always be reproduced from the
//! artifact it names.
//!
//! # Layout
//! - [`decision`] — the one decide function every path calls: a folded
//!   state, an as-of moment, the model and the last decision in; the
//!   decision to record (or none) out.
//! - `artifact` — [`ModelArtifact`] and its parts, canonical bytes, version.
//! - `validate` — [`ArtifactError`] and the artifact checks.
//! - `canonical` — canonical JSON (sorted keys, no whitespace).
//! - `score` — [`Band`], [`Scores`], the logistic and tree probabilities.
//! - `boosted` — [`Boosted`], the gradient-boosted challenger: its score,
//!   exact TreeSHAP over the forest, its checks.
//! - `rules` — [`RuleSet`], the seed rules, [`final_band`].
//! - `explain` — [`Explanation`]: linear SHAP for the logistic regression,
//!   TreeSHAP (`treeshap`) for the tree, their additive combination.
//! - `reasons` — [`ReasonCode`]s: plain-language reasons and what would help.
//! - `text` — the reason templates' placeholders.
//! - `fixture` — [`demo_artifact`], a hand-set model.
//! - `tests_*` — unit tests (hand-computed and brute-force SHAP, versions,
//!   rules, reasons, determinism).

mod artifact;
mod band;
mod boosted;
mod canonical;
mod checks;
pub mod decision;
mod explain;
mod fixture;
mod reasons;
mod rules;
mod score;
mod text;
mod treeshap;
mod validate;

#[cfg(test)]
mod tests_artifact;
#[cfg(test)]
mod tests_assess;
#[cfg(test)]
mod tests_boosted;
#[cfg(test)]
mod tests_decision;
#[cfg(test)]
mod tests_explain;
#[cfg(test)]
mod tests_reasons;

use serde::{Deserialize, Serialize};

use crate::features::Features;

pub use artifact::{
    Boosted, Ensemble, Logistic, ModelArtifact, Standardiser, TrainingInfo, Tree, TreeNode, SCHEMA,
};
pub use band::{Band, BandThresholds};
pub use checks::ArtifactError;
pub use decision::{
    day_ended_at, decide, decide_features, decision_customer, end_of_day, is_news, Decided,
    DecisionPoint, LastDecision, DAY_END,
};
pub use explain::{Contribution, Explanation};
pub use fixture::demo_artifact;
pub use reasons::{reason_codes, ReasonCode, DEFAULT_TOP_N};
pub use rules::{final_band, Condition, FiredRule, Op, Rule, RuleSet, DELINQUENT_RULE};
pub use score::{sigmoid, Scores};

/// Everything decided about one customer at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The model's probabilities and band.
    pub scores: Scores,
    /// The rules that fired, in rule order.
    pub fired_rules: Vec<FiredRule>,
    /// The final band: the highest of the model's and the fired rules'.
    pub band: Band,
    /// Per-feature contributions to the scores.
    pub explanation: Explanation,
    /// Plain-language reasons, [`DEFAULT_TOP_N`] model reasons at most.
    pub reasons: Vec<ReasonCode>,
}

/// The scores, fired rules and final band of an assessment, without its
/// explanation and reasons: all that a score needs when it asks for no
/// decision (a rebuild's history, an unchanged band), at a fraction of the
/// cost — the explanation runs TreeSHAP and the reasons render text.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// The model's probabilities and band.
    pub scores: Scores,
    /// The rules that fired, in rule order.
    pub fired_rules: Vec<FiredRule>,
    /// The final band: the highest of the model's and the fired rules'.
    pub band: Band,
}

/// Scores `features` with `model` and applies its rules (a validated
/// artifact); [`Verdict::explained`] completes it into the [`assess`] result.
pub fn verdict(model: &ModelArtifact, features: &Features) -> Verdict {
    let scores = model.score(features);
    let fired_rules = model.rules.evaluate(features);
    let band = final_band(scores.band, &fired_rules);
    Verdict {
        scores,
        fired_rules,
        band,
    }
}

impl Verdict {
    /// The full assessment: this verdict of `features`, explained.
    pub fn explained(self, model: &ModelArtifact, features: &Features) -> Assessment {
        let explanation = model.explain(features);
        let reasons = reason_codes(&explanation, &self.fired_rules, DEFAULT_TOP_N);
        Assessment {
            scores: self.scores,
            fired_rules: self.fired_rules,
            band: self.band,
            explanation,
            reasons,
        }
    }
}

/// Assesses `features` with `model` (a validated artifact, e.g. from
/// [`ModelArtifact::parse`]). Record `model.version()` with the result.
pub fn assess(model: &ModelArtifact, features: &Features) -> Assessment {
    // One definition of the verdict, so a score kept without its explanation
    // is always the one a decision would carry.
    verdict(model, features).explained(model, features)
}
