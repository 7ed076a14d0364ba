//! One-line summaries of stream events for decision records ("what followed":
//! payments, days-past-due reports, later decisions, and any event type added
//! later — alerts, their delivery — without a change here: an event this
//! module does not know is summarised from its own fields).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use domain::money::{format_money, format_units};
use domain::CustomerEvent;

use crate::log::LogEvent;

/// An event as a decision record lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The entry for `e` on a stream whose account is in `currency`.
    pub fn of(e: &LogEvent, currency: Option<&str>) -> Self {
        Self {
            sequence: e.sequence,
            global_position: e.checkpoint.position,
            event_type: e.event_type.clone(),
            occurred_at: e.event.occurred_at(),
            recorded_at: e.recorded_at,
            summary: summarise(&e.event, currency),
        }
    }
}

/// A line saying what `event` records, amounts in currency units (the
/// event's own currency, else the account's `currency`).
pub fn summarise(event: &CustomerEvent, currency: Option<&str>) -> String {
    let money = |minor: i64, code: Option<&str>| match code.or(currency) {
        Some(code) => format_money(minor, code),
        None => format_units(minor, 2),
    };
    match event {
        CustomerEvent::CustomerRegistered(e) => format!(
            "account opened, credit limit {}",
            money(e.credit_limit_minor, Some(e.currency.as_str()))
        ),
        CustomerEvent::CreditLimitChanged(e) => format!(
            "credit limit {} -> {}",
            money(e.previous_limit_minor, None),
            money(e.credit_limit_minor, None)
        ),
        CustomerEvent::TransactionRecorded(e) => {
            let kind = serde_json::to_value(e.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
                .replace('_', " ");
            let merchant = e
                .merchant_name
                .as_ref()
                .map(|m| format!(" at {m}"))
                .unwrap_or_default();
            format!(
                "{kind} {}{merchant}",
                money(e.amount_minor, Some(e.currency.as_str()))
            )
        }
        CustomerEvent::StatementIssued(e) => format!(
            "statement {}: closing balance {}, minimum due {}, due {}",
            e.period,
            money(e.closing_balance_minor, None),
            money(e.minimum_due_minor, None),
            e.due_date
        ),
        CustomerEvent::PaymentRecorded(e) => format!(
            "payment {} ({})",
            money(e.amount_minor, Some(e.currency.as_str())),
            e.payment_id
        ),
        CustomerEvent::DaysPastDueReported(e) => format!("{} days past due", e.days_past_due),
        CustomerEvent::TransactionReversed(e) => format!(
            "reversal {} of transaction {}: {}{} ({})",
            e.reversal_id,
            e.transaction_id,
            money(e.amount_minor, None),
            if e.in_full { ", in full" } else { "" },
            words(&e.reason)
        ),
        CustomerEvent::PaymentReturned(e) => format!(
            "payment {} of {} returned unpaid ({})",
            e.payment_id,
            money(e.amount_minor, None),
            words(&e.reason)
        ),
        CustomerEvent::StatementCorrected(e) => format!(
            "statement {} corrected ({}): closing balance {}, minimum due {}, due {}",
            e.period,
            e.correction_id,
            money(e.closing_balance_minor, None),
            money(e.minimum_due_minor, None),
            e.due_date
        ),
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

/// A serde enum value as words (`insufficient_funds` → "insufficient funds").
fn words<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> CustomerEvent {
        serde_json::from_value(json).expect("an event")
    }

    #[test]
    fn amounts_are_written_in_currency_units() {
        let cash = event(serde_json::json!({"TransactionRecorded": {
            "transaction_id": "T-1", "amount_minor": 1_500_000, "currency": "INR",
            "kind": "cash_withdrawal", "merchant_category_code": null, "merchant_name": null,
            "channel": "atm", "occurred_at": "2026-03-01T10:00:00Z"}}));
        assert_eq!(summarise(&cash, None), "cash withdrawal INR 15,000.00");
        let statement = event(serde_json::json!({"StatementIssued": {
            "period": "2026-02", "closing_balance_minor": 12_345_678, "minimum_due_minor": 61_728,
            "due_date": "2026-03-20", "issued_at": "2026-03-01T02:00:00Z"}}));
        assert_eq!(
            summarise(&statement, Some("INR")),
            "statement 2026-02: closing balance INR 123,456.78, minimum due INR 617.28, due 2026-03-20"
        );
        let yen = event(serde_json::json!({"PaymentRecorded": {
            "payment_id": "P-1", "amount_minor": 5_000, "currency": "JPY",
            "paid_at": "2026-03-01T10:00:00Z"}}));
        assert_eq!(summarise(&yen, Some("JPY")), "payment JPY 5,000 (P-1)");
    }
}
