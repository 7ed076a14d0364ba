//! Alerts to the customer on WhatsApp, as commands and events: raising one
//! (on a risk escalation or at an admin's request), suppressing a repeat
//! within the cooldown, and what the dispatcher and the delivery webhooks
//! report. How the aggregate decides on them is in `alert_book`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert_budget::BudgetCounts;
use crate::risk::Band;
use crate::values::{ExternalId, PhoneNumber};

/// Why an alert was raised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlertCause {
    /// A recorded risk decision moved the customer up into the alerting band.
    Escalation {
        /// The `RiskAssessed` decision.
        decision_id: String,
        /// Band before the decision.
        band_before: Band,
        /// Band after it.
        band: Band,
        /// The decision's reason codes, most important first.
        reason_codes: Vec<String>,
    },
    /// An admin asked for it.
    Manual {
        /// Who asked (the admin's user name).
        requested_by: String,
        /// Why, in the admin's words (kept for the record, not sent).
        reason: String,
    },
    /// The customer signed in for the first time.
    Welcome {
        /// The login stream's code that signed them in.
        otp_id: String,
    },
}

/// Which parameters a template's body takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateParameters {
    /// None (Meta's `hello_world`).
    None,
    /// The customer's first name (the welcome message).
    FirstName,
    /// First name and the decision's headline (the risk alert).
    FirstNameAndHeadline,
}

/// A template and language, as configured (parameters are filled in by the
/// aggregate from what it knows of the customer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    /// Approved template name.
    pub name: String,
    /// Language code it was approved in.
    pub language: String,
    /// The body parameters it takes.
    pub parameters: TemplateParameters,
}

/// The exact message an alert sends: template, language and body parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMessage {
    /// Template name.
    pub template: String,
    /// Language code.
    pub language: String,
    /// Body parameters in placeholder order.
    pub body_params: Vec<String>,
}

/// Delivery state reported by WhatsApp's status webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted by WhatsApp's servers.
    Sent,
    /// On the customer's device.
    Delivered,
    /// Read by the customer.
    Read,
    /// Will not be delivered; terminal.
    Failed,
}

impl DeliveryStatus {
    /// The furthest of two states: sent < delivered < read, and failed is
    /// terminal, so a late `delivered` never hides a failure.
    pub fn furthest(a: Option<Self>, b: Self) -> Self {
        match a {
            Some(a) if a >= b => a,
            _ => b,
        }
    }
}

/// One failed attempt before the outcome, kept with the outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendFailure {
    /// Attempt number (1-based).
    pub attempt: u32,
    /// WhatsApp error code, when the API answered with one.
    pub code: Option<i64>,
    /// What happened.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Raises an alert (the command). A repeat with the same id is a no-op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaiseAlert {
    /// Deterministic for escalations (from the decision), so a replayed
    /// trigger raises nothing new.
    pub alert_id: ExternalId,
    /// Why.
    pub cause: AlertCause,
    /// The template to send.
    pub template: TemplateRef,
    /// Template to fall back to if WhatsApp says the first is missing (132001);
    /// none when the operator did not enable the fallback.
    pub fallback: Option<TemplateRef>,
    /// Business time of the cause (the decision's as-of, or the request time).
    pub raised_at: DateTime<Utc>,
    /// Escalations within this many seconds of the last automatic alert, and
    /// not into a higher band than it, are suppressed. Manual alerts ignore it.
    pub cooldown_seconds: u32,
    /// When the alert was decided (the deciding process's clock, read at the
    /// edge and carried here so the aggregate stays pure). With
    /// `max_age_seconds`, an escalation about a fact older than that before
    /// this moment is suppressed as stale: history is never messaged.
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// Oldest business time, before `decided_at`, that an escalation may be
    /// about (none: no limit). Manual alerts ignore it.
    #[serde(default)]
    pub max_age_seconds: Option<u32>,
    /// The portfolio at the decision, when the alert budget had no room for
    /// one more customer: the escalation is recorded as suppressed
    /// (`budget`) instead of sent. The deciding process counts the
    /// portfolio (the aggregate sees one customer); manual alerts ignore it.
    #[serde(default)]
    pub withheld_by_budget: Option<BudgetCounts>,
}

/// Why an alert was recorded but not sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// An earlier automatic alert is still within its cooldown.
    #[default]
    Cooldown,
    /// The triggering fact is older than the alert age limit when it was
    /// decided (e.g. imported history): messaging about it would be about
    /// the past.
    Stale,
    /// The portfolio's alert budget (`ALERT_FALSE_ALARM_BUDGET`) had no room
    /// for one more customer when it was decided.
    Budget,
}

impl SuppressionReason {
    /// The reason's wire name: `cooldown`, `stale` or `budget`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cooldown => "cooldown",
            Self::Stale => "stale",
            Self::Budget => "budget",
        }
    }
}

/// An alert was raised: the message is due (this event is the outbox).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRaised {
    /// Alert id.
    pub alert_id: ExternalId,
    /// Why.
    pub cause: AlertCause,
    /// Who receives it.
    pub recipient: PhoneNumber,
    /// What will be sent.
    pub message: AlertMessage,
    /// What will be sent instead if WhatsApp does not know the template.
    pub fallback: Option<AlertMessage>,
    /// When.
    pub raised_at: DateTime<Utc>,
}

/// An escalation was recorded but not messaged: within the cooldown of an
/// earlier alert, about a fact too old to message about, or beyond the
/// portfolio's alert budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertSuppressed {
    /// The id the alert would have had.
    pub alert_id: ExternalId,
    /// Why it would have been raised.
    pub cause: AlertCause,
    /// Why it was not sent (events recorded before stale suppression
    /// existed were all cooldowns).
    #[serde(default)]
    pub reason: SuppressionReason,
    /// The earlier alert that is still within its cooldown (cooldown only).
    pub previous_alert_id: Option<ExternalId>,
    /// When the cooldown ends (cooldown only).
    pub cooldown_until: Option<DateTime<Utc>>,
    /// When the alert was decided (stale and budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// The portfolio as the budget read it when it had no room (budget
    /// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetCounts>,
    /// When.
    pub raised_at: DateTime<Utc>,
}

/// Records that WhatsApp accepted the alert's message (command and event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSent {
    /// Alert id.
    pub alert_id: ExternalId,
    /// WhatsApp's message id (`wamid.…`).
    pub wamid: String,
    /// Whether the fallback template was sent instead of the configured one.
    pub fallback_used: bool,
    /// Attempts it took.
    pub attempts: u32,
    /// The failed attempts before (newest last, at most the last 20).
    pub failures: Vec<SendFailure>,
    /// When WhatsApp accepted it.
    pub sent_at: DateTime<Utc>,
}

/// Records that the alert's message will not be sent (command and event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFailed {
    /// Alert id.
    pub alert_id: ExternalId,
    /// The WhatsApp error code of the last attempt, if any.
    pub code: Option<i64>,
    /// Why, in words.
    pub reason: String,
    /// True for errors that no retry fixes; false when retries ran out.
    pub permanent: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Every failed attempt (at most the last 20).
    pub failures: Vec<SendFailure>,
    /// When it was given up.
    pub failed_at: DateTime<Utc>,
}

/// Records a delivery status reported by WhatsApp (command and event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertDeliveryUpdated {
    /// Alert id.
    pub alert_id: ExternalId,
    /// WhatsApp's message id the status is about.
    pub wamid: String,
    /// The status.
    pub status: DeliveryStatus,
    /// The error code on `failed`.
    pub error_code: Option<i64>,
    /// Why it failed, in WhatsApp's words (title, message, details) — what
    /// staff need to act on a failure (e.g. 131049, "not delivered to
    /// maintain healthy ecosystem engagement").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// The pricing category WhatsApp charged the message under (`utility`,
    /// `authentication`, …), so the bank can see what alerts cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_category: Option<String>,
    /// When WhatsApp says it happened.
    pub reported_at: DateTime<Utc>,
}
