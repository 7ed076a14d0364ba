//! The book of alerts a customer's aggregate raised: every report is checked
//! against an alert that exists, a repeated report is a no-op, and delivery
//! statuses that arrive twice or out of order are each recorded once (the
//! furthest one is the alert's state). Every decision here depends only on
//! the command and the stream, never on a clock: the cooldown is measured
//! between business times carried by the commands.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::alerts::{
    AlertCause, AlertDeliveryUpdated, AlertFailed, AlertMessage, AlertRaised, AlertSent,
    AlertSuppressed, DeliveryStatus, RaiseAlert, SuppressionReason, TemplateParameters,
    TemplateRef,
};
use super::errors::CustomerError;
use super::events::CustomerEvent;
use crate::risk::Band;
use crate::values::{ExternalId, PhoneNumber};

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
                        budget: None,
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
                        budget: None,
                        raised_at: c.raised_at,
                    },
                ))));
            }
        }
        // After stale and cooldown: a suppression either would make anyway is
        // not the budget's doing (and a stale one never consumed budget).
        if let (AlertCause::Escalation { .. }, Some(counts)) = (&c.cause, c.withheld_by_budget) {
            return Ok(Some(CustomerEvent::AlertSuppressed(Box::new(
                AlertSuppressed {
                    alert_id: c.alert_id,
                    cause: c.cause,
                    reason: SuppressionReason::Budget,
                    previous_alert_id: None,
                    cooldown_until: None,
                    decided_at: c.decided_at,
                    budget: Some(counts),
                    raised_at: c.raised_at,
                },
            ))));
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
                "the alert was suppressed and never sent",
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
