//! Schemas of the audit answers. The records are built by the `audit` crate
//! from domain types; these describe their wire shape (the fields an auditor
//! relies on, with nested domain structures as objects).

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A band.
#[derive(Serialize, ToSchema)]
pub enum BandDoc {
    /// Score < 0.33.
    Low,
    /// Score < 0.66.
    Medium,
    /// Otherwise (or a hard rule).
    High,
}

/// One later event on the stream.
#[derive(Serialize, ToSchema)]
pub struct EventEntryDoc {
    /// Stream sequence.
    pub sequence: i64,
    /// Global log position.
    pub global_position: i64,
    /// Event type.
    pub event_type: String,
    /// When it happened in the bank's world.
    pub occurred_at: DateTime<Utc>,
    /// When the log stored it.
    pub recorded_at: DateTime<Utc>,
    /// One-line summary.
    pub summary: String,
}

/// A recorded decision with its evidence and what followed.
#[derive(Serialize, ToSchema)]
pub struct AuditDecisionRecord {
    /// Decision id (`<customer>:<trigger position>`).
    pub decision_id: String,
    /// The customer.
    pub customer_id: String,
    /// The `RiskAssessed` event's stream sequence.
    pub sequence: i64,
    /// Its global position.
    pub global_position: i64,
    /// The transaction that recorded it.
    pub tx_id: u64,
    /// When the log stored it.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it (actor, request, correlation, causation).
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// The event decided on, if still on the stream.
    #[schema(nullable)]
    pub trigger_event: Option<EventEntryDoc>,
    /// The trigger (event, sequence, position).
    #[schema(value_type = Object)]
    pub trigger: Value,
    /// The log checkpoint the features were computed at.
    #[schema(value_type = Object)]
    pub checkpoint: Value,
    /// Business time of the features.
    pub as_of: DateTime<Utc>,
    /// Model version (registry key).
    pub model_version: String,
    /// Rule-set version.
    pub rule_set_version: String,
    /// Feature values.
    #[schema(value_type = Object)]
    pub features: Value,
    /// Component and ensemble scores.
    #[schema(value_type = Object)]
    pub scores: Value,
    /// Rules that fired.
    #[schema(value_type = Vec<Object>)]
    pub fired_rules: Vec<Value>,
    /// Band before.
    pub band_before: BandDoc,
    /// Band decided.
    pub band: BandDoc,
    /// Per-feature contributions.
    #[schema(value_type = Object)]
    pub explanation: Value,
    /// Reason codes with plain-language text.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Value>,
    /// Later events (alerts and their delivery, payments, days past due…).
    pub followed_by: Vec<EventEntryDoc>,
    /// Later events not listed.
    pub followed_by_omitted: usize,
}

/// One field that differs.
#[derive(Serialize, ToSchema)]
pub struct FieldDiffDoc {
    /// Path (`features.utilisation`).
    pub field: String,
    /// As recorded.
    pub recorded: String,
    /// As replayed.
    pub replayed: String,
}

/// A customer's state at a cut-off.
#[derive(Serialize, ToSchema)]
pub struct AuditStateAsOf {
    /// The customer.
    pub customer_id: String,
    /// The cut-off (`{"at": …}`, `{"occurred_by": …}` or `{"position": …}`).
    #[schema(value_type = Object)]
    pub cutoff: Value,
    /// The clock it reads: `recording`, `business` or `log_position`.
    pub time: String,
    /// What the answer is, in words ("nothing known yet" when nothing was).
    pub meaning: String,
    /// Whether anything about the customer was known at the cut-off.
    pub known: bool,
    /// The customer's last event at or before it (tx id, position).
    #[schema(value_type = Object, nullable)]
    pub last_event: Option<Value>,
    /// Events at or before it.
    pub events: usize,
    /// Business time of the features.
    #[schema(nullable)]
    pub features_as_of: Option<DateTime<Utc>>,
    /// The features then.
    #[schema(value_type = Object, nullable)]
    pub features: Option<Value>,
    /// The band in force (Low before any decision); none when nothing was known.
    #[schema(nullable)]
    pub band: Option<BandDoc>,
    /// The decision in force.
    #[schema(value_type = Object, nullable)]
    pub decision: Option<Value>,
    /// `alerts`: `{"open": […], "all": […]}` with each alert's state then.
    #[schema(value_type = Object)]
    pub sections: Value,
}
