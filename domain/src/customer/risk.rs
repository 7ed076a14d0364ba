//! Risk decisions on a customer's stream: the command that asks to record an
//! assessment and the `RiskAssessed` event that records one.
//!
//! The scoring projection scores every change of behaviour, but only a change
//! of band (or a rule that newly fires) becomes a recorded decision. The
//! aggregate makes that call against the decisions it has recorded, so two
//! requests racing for the same change record it once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::features::Features;
use crate::risk::{Band, Explanation, FiredRule, ReasonCode, Scores};

/// Which event's arrival led to the assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionTrigger {
    /// The triggering event's sequence in the customer's stream.
    pub sequence: i64,
    /// Its global position.
    pub global_position: i64,
    /// Its type.
    pub event_type: String,
}

/// Where in the commit-ordered log the features were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogCheckpoint {
    /// Transaction id (xid8) of the last event folded.
    pub tx_id: u64,
    /// Global position of the last event folded.
    pub position: i64,
}

/// An assessment to record (the command's payload).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordRiskAssessment {
    /// Deterministic id (from the customer and the trigger), so a replayed
    /// trigger records nothing new.
    pub decision_id: String,
    /// The event that led to it.
    pub trigger: DecisionTrigger,
    /// The log checkpoint the features were computed at.
    pub checkpoint: LogCheckpoint,
    /// The as-of time of the features (business time of the trigger).
    pub as_of: DateTime<Utc>,
    /// Model artifact version (sha256).
    pub model_version: String,
    /// Rule set version.
    pub rule_set_version: String,
    /// The feature values scored.
    pub features: Features,
    /// Logistic, tree and ensemble scores and the model's band.
    pub scores: Scores,
    /// Rules that fired.
    pub fired_rules: Vec<FiredRule>,
    /// The final band (the model's, raised by rules).
    pub band: Band,
    /// Per-feature contributions.
    pub explanation: Explanation,
    /// Top reasons in plain language.
    pub reasons: Vec<ReasonCode>,
}

impl RecordRiskAssessment {
    /// The day whose end this decision was made at, for a day-end decision.
    pub fn day_ended(&self) -> Option<chrono::NaiveDate> {
        (self.trigger.event_type == crate::risk::DAY_END)
            .then(|| crate::risk::day_ended_at(self.as_of))
    }
}

/// A risk decision was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskAssessed {
    /// The assessment.
    pub assessment: RecordRiskAssessment,
    /// The band recorded before this decision (Low when none was).
    pub band_before: Band,
}

/// The last recorded decision, as the aggregate keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRisk {
    /// Band after the last decision (Low before any).
    pub band: Band,
    /// Ids of the rules that fired in it.
    pub rules: Vec<String>,
    /// Its id.
    pub decision_id: Option<String>,
    /// Its top reason in plain language (what an alert tells the customer).
    #[serde(default)]
    pub headline: Option<String>,
}

impl RecordedRisk {
    /// Whether `a` is a decision worth recording: the band changed, or a rule
    /// fired that had not fired in the last decision.
    pub fn is_news(&self, a: &RecordRiskAssessment) -> bool {
        crate::risk::is_news(
            crate::risk::LastDecision {
                band: self.band,
                rules: &self.rules,
            },
            a.band,
            a.fired_rules.iter().map(|r| r.id.as_str()),
        )
    }
}

impl Default for RecordedRisk {
    fn default() -> Self {
        Self {
            band: Band::Low,
            rules: Vec::new(),
            decision_id: None,
            headline: None,
        }
    }
}
