//! One-line summaries of stream events for decision records ("what followed":
//! payments, days-past-due reports, later decisions, and any event type added
//! later — alerts, their delivery — without a change here: an event this
//! module does not know is summarised from its own fields).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use domain::CustomerEvent;

use crate::log::LogEvent;

/// An event as a decision record lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventEntry {
    /// Position in the customer's stream.
    pub sequence: i64,
    /// Position in the global log.
    pub global_position: i64,
    /// Event type.
    pub event_type: String,
    /// When it happened in the bank's world.
    pub occurred_at: DateTime<Utc>,
    /// When the log stored it.
    pub recorded_at: DateTime<Utc>,
    /// What happened, in a line.
    pub summary: String,
}

impl EventEntry {
    /// The entry for `e`.
    pub fn of(e: &LogEvent) -> Self {
        Self {
            sequence: e.sequence,
            global_position: e.checkpoint.position,
            event_type: e.event_type.clone(),
            occurred_at: e.event.occurred_at(),
            recorded_at: e.recorded_at,
            summary: summarise(&e.event),
        }
    }
}

/// A line saying what `event` records. Amounts are in minor units, as stored.
pub fn summarise(event: &CustomerEvent) -> String {
    match event {
        CustomerEvent::CustomerRegistered(e) => format!(
            "account opened, credit limit {} {}",
            e.credit_limit_minor, e.currency
        ),
        CustomerEvent::CreditLimitChanged(e) => format!(
            "credit limit {} -> {}",
            e.previous_limit_minor, e.credit_limit_minor
        ),
        CustomerEvent::TransactionRecorded(e) => {
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let merchant = e
                .merchant_name
                .as_ref()
                .map(|m| format!(" at {m}"))
                .unwrap_or_default();
            format!("{kind} {} {}{merchant}", e.amount_minor, e.currency)
        }
        CustomerEvent::StatementIssued(e) => format!(
            "statement {}: closing balance {}, minimum due {}, due {}",
            e.period, e.closing_balance_minor, e.minimum_due_minor, e.due_date
        ),
        CustomerEvent::PaymentRecorded(e) => {
            format!(
                "payment {} {} ({})",
                e.amount_minor, e.currency, e.payment_id
            )
        }
        CustomerEvent::DaysPastDueReported(e) => format!("{} days past due", e.days_past_due),
        CustomerEvent::RiskAssessed(e) => {
            let a = &e.assessment;
            let rules: Vec<&str> = a.fired_rules.iter().map(|r| r.id.as_str()).collect();
            format!(
                "decision {}: band {:?} -> {:?}, score {:.4}, rules [{}], model {}",
                a.decision_id,
                e.band_before,
                a.band,
                a.scores.ensemble,
                rules.join(", "),
                short(&a.model_version)
            )
        }
        #[allow(unreachable_patterns)] // new event types arrive with new issues
        other => generic(other),
    }
}

/// A summary built from the event's own JSON: its scalar fields, in order.
pub fn generic(event: &CustomerEvent) -> String {
    let Ok(Value::Object(outer)) = serde_json::to_value(event) else {
        return String::new();
    };
    let Some((_, Value::Object(fields))) = outer.into_iter().next() else {
        return String::new();
    };
    fields
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some(format!("{k}={s}")),
            Value::Number(n) => Some(format!("{k}={n}")),
            Value::Bool(b) => Some(format!("{k}={b}")),
            _ => None,
        })
        .take(8)
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}
