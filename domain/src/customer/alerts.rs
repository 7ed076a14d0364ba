//! Alerts to the customer on WhatsApp: raising one (on a risk escalation or at
//! an admin's request), suppressing a repeat within the cooldown, and
//! recording what the dispatcher and the delivery webhooks report.
//!
//! The aggregate keeps a small book of the alerts it raised, so every report
//! is checked against an alert that exists, a repeated report is a no-op, and
//! delivery statuses that arrive twice or out of order are each recorded once
//! (the furthest one is the alert's state). Every decision here depends only
//! on the command and the stream, never on a clock: the cooldown is measured
//! between business times carried by the commands.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::errors::CustomerError;
use super::events::CustomerEvent;
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
}

impl SuppressionReason {
    /// The reason's wire name: `cooldown` or `stale`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cooldown => "cooldown",
            Self::Stale => "stale",
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
/// earlier alert, or about a fact too old to message about.
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
    /// When the alert was decided (stale only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
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

/// Most failures kept on an outcome: enough to see a storm, bounded.
pub const MAX_FAILURES_KEPT: usize = 20;

/// Where an alert stands, as the aggregate keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertEntry {
    /// The cause, to tell a repeat from a reused id.
    pub cause: AlertCause,
    /// Suppressed by the cooldown (never sent).
    pub suppressed: bool,
    /// Sent (`Some(true)`), failed (`Some(false)`) or due (`None`).
    pub sent: Option<bool>,
    /// Delivery statuses recorded so far.
    pub statuses: Vec<DeliveryStatus>,
}

/// The last automatic alert, for the cooldown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastAutomatic {
    /// Its id.
    pub alert_id: ExternalId,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// The band it was about.
    pub band: Band,
}

/// The customer's alerts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertBook {
    entries: BTreeMap<String, AlertEntry>,
    last_automatic: Option<LastAutomatic>,
}

fn unknown(alert_id: &ExternalId) -> CustomerError {
    CustomerError::UnknownAlert {
        id: alert_id.to_string(),
    }
}

fn check_wamid(wamid: &str) -> Result<(), CustomerError> {
    if wamid.is_empty() || wamid.len() > 256 || wamid.chars().any(char::is_control) {
        return Err(CustomerError::invalid(
            "wamid",
            "must be 1-256 printable characters",
        ));
    }
    Ok(())
}

impl AlertBook {
    /// An alert by id.
    pub fn get(&self, alert_id: &str) -> Option<&AlertEntry> {
        self.entries.get(alert_id)
    }

    /// Raise (or suppress) an alert; `recipient` and the parameters come
    /// from the profile and the last decision.
    pub(crate) fn decide_raise(
        &self,
        c: RaiseAlert,
        recipient: &PhoneNumber,
        params: [String; 2],
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        if let Some(existing) = self.entries.get(c.alert_id.as_str()) {
            return if existing.cause == c.cause {
                Ok(None)
            } else {
                Err(CustomerError::IdReused {
                    field: "alert_id",
                    id: c.alert_id.to_string(),
                })
            };
        }
        if let AlertCause::Manual { reason, .. } = &c.cause {
            if reason.trim().is_empty() {
                return Err(CustomerError::invalid("reason", "must not be empty"));
            }
        }
        if let (AlertCause::Escalation { .. }, Some(decided_at), Some(max_age)) =
            (&c.cause, c.decided_at, c.max_age_seconds)
        {
            if c.raised_at + Duration::seconds(i64::from(max_age)) < decided_at {
                return Ok(Some(CustomerEvent::AlertSuppressed(Box::new(
                    AlertSuppressed {
                        alert_id: c.alert_id,
                        cause: c.cause,
                        reason: SuppressionReason::Stale,
                        previous_alert_id: None,
                        cooldown_until: None,
                        decided_at: Some(decided_at),
                        raised_at: c.raised_at,
                    },
                ))));
            }
        }
        if let (AlertCause::Escalation { band, .. }, Some(last)) = (&c.cause, &self.last_automatic)
        {
            let until = last.raised_at + Duration::seconds(i64::from(c.cooldown_seconds));
            if c.raised_at < until && *band <= last.band {
                return Ok(Some(CustomerEvent::AlertSuppressed(Box::new(
                    AlertSuppressed {
                        alert_id: c.alert_id,
                        cause: c.cause,
                        reason: SuppressionReason::Cooldown,
                        previous_alert_id: Some(last.alert_id.clone()),
                        cooldown_until: Some(until),
                        decided_at: None,
                        raised_at: c.raised_at,
                    },
                ))));
            }
        }
        let render = |t: &TemplateRef| AlertMessage {
            template: t.name.clone(),
            language: t.language.clone(),
            body_params: match t.parameters {
                TemplateParameters::None => Vec::new(),
                TemplateParameters::FirstName => params[..1].to_vec(),
                TemplateParameters::FirstNameAndHeadline => params.to_vec(),
            },
        };
        Ok(Some(CustomerEvent::AlertRaised(Box::new(AlertRaised {
            alert_id: c.alert_id.clone(),
            message: render(&c.template),
            fallback: c.fallback.as_ref().map(render),
            cause: c.cause,
            recipient: recipient.clone(),
            raised_at: c.raised_at,
        }))))
    }

    /// An entry that was raised (not suppressed).
    fn raised(&self, alert_id: &ExternalId) -> Result<&AlertEntry, CustomerError> {
        match self.entries.get(alert_id.as_str()) {
            Some(e) if !e.suppressed => Ok(e),
            Some(_) => Err(CustomerError::invalid(
                "alert_id",
                "the alert was suppressed by the cooldown and never sent",
            )),
            None => Err(unknown(alert_id)),
        }
    }

    pub(crate) fn decide_sent(
        &self,
        c: Box<AlertSent>,
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        check_wamid(&c.wamid)?;
        // A second report of an outcome (a dispatcher retrying its record, or
        // racing another) is a repeat, not news.
        if self.raised(&c.alert_id)?.sent.is_some() {
            return Ok(None);
        }
        Ok(Some(CustomerEvent::AlertSent(c)))
    }

    pub(crate) fn decide_failed(
        &self,
        c: Box<AlertFailed>,
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        if self.raised(&c.alert_id)?.sent.is_some() {
            return Ok(None);
        }
        Ok(Some(CustomerEvent::AlertFailed(c)))
    }

    pub(crate) fn decide_delivery(
        &self,
        c: Box<AlertDeliveryUpdated>,
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        check_wamid(&c.wamid)?;
        if self.raised(&c.alert_id)?.statuses.contains(&c.status) {
            return Ok(None);
        }
        Ok(Some(CustomerEvent::AlertDeliveryUpdated(c)))
    }

    pub(crate) fn apply(&mut self, event: &CustomerEvent) {
        match event {
            CustomerEvent::AlertRaised(e) => {
                if let AlertCause::Escalation { band, .. } = &e.cause {
                    self.last_automatic = Some(LastAutomatic {
                        alert_id: e.alert_id.clone(),
                        raised_at: e.raised_at,
                        band: *band,
                    });
                }
                self.entries.insert(
                    e.alert_id.to_string(),
                    AlertEntry {
                        cause: e.cause.clone(),
                        suppressed: false,
                        sent: None,
                        statuses: Vec::new(),
                    },
                );
            }
            CustomerEvent::AlertSuppressed(e) => {
                self.entries.insert(
                    e.alert_id.to_string(),
                    AlertEntry {
                        cause: e.cause.clone(),
                        suppressed: true,
                        sent: None,
                        statuses: Vec::new(),
                    },
                );
            }
            CustomerEvent::AlertSent(e) => self.set_sent(&e.alert_id, true),
            CustomerEvent::AlertFailed(e) => self.set_sent(&e.alert_id, false),
            CustomerEvent::AlertDeliveryUpdated(e) => {
                if let Some(entry) = self.entries.get_mut(e.alert_id.as_str()) {
                    entry.statuses.push(e.status);
                }
            }
            _ => {}
        }
    }

    fn set_sent(&mut self, alert_id: &ExternalId, sent: bool) {
        if let Some(entry) = self.entries.get_mut(alert_id.as_str()) {
            entry.sent = Some(sent);
        }
    }
}
