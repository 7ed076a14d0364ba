//! The alerts section of a customer's state as of a cut-off (an
//! [`crate::asof::Section`]): every alert raised or suppressed up to then,
//! each in the delivery state it had reached then, and which were still
//! open.
//!
//! An alert is *open* until the customer has read it or its delivery has
//! finally failed — until then the bank has not yet reached the customer
//! with it. A suppressed alert (cooldown) never opens.

use chrono::{DateTime, Utc};
use domain::customer::{AlertCause, DeliveryStatus};
use domain::CustomerEvent;
use serde::Serialize;
use serde_json::Value;

use crate::asof::Section;
use crate::log::LogEvent;

/// Where an alert stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised, not yet handed to WhatsApp.
    Raised,
    /// Not raised: another alert's cooldown held it.
    Suppressed,
    /// Accepted by WhatsApp.
    Sent,
    /// On the customer's device.
    Delivered,
    /// Read by the customer.
    Read,
    /// Will not be delivered.
    Failed,
}

/// One alert as it stood at the cut-off.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertAsOf {
    /// Its id.
    pub alert_id: String,
    /// Why it was raised.
    pub cause: AlertCause,
    /// When it was raised (or suppressed).
    pub raised_at: DateTime<Utc>,
    /// The template it sends (none when suppressed).
    pub template: Option<String>,
    /// Its state then.
    pub state: AlertState,
    /// When it reached that state.
    pub state_since: DateTime<Utc>,
}

impl AlertAsOf {
    /// Still open: raised and neither read nor finally failed.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            AlertState::Raised | AlertState::Sent | AlertState::Delivered
        )
    }
}

/// Folds the alert events of one stream (see the module docs).
#[derive(Default)]
pub struct AlertsAsOf {
    alerts: Vec<AlertAsOf>,
}

impl AlertsAsOf {
    /// The alerts folded so far, oldest first.
    pub fn alerts(&self) -> &[AlertAsOf] {
        &self.alerts
    }

    fn advance(&mut self, alert_id: &str, state: AlertState, at: DateTime<Utc>) {
        let Some(a) = self.alerts.iter_mut().find(|a| a.alert_id == alert_id) else {
            return;
        };
        // Statuses may arrive out of order; the furthest wins, and failure
        // is terminal (as the aggregate and the delivery projection hold).
        let rank = |s: AlertState| match s {
            AlertState::Raised | AlertState::Suppressed => 0,
            AlertState::Sent => 1,
            AlertState::Delivered => 2,
            AlertState::Read => 3,
            AlertState::Failed => 4,
        };
        if rank(state) > rank(a.state) {
            a.state = state;
            a.state_since = at;
        }
    }
}

impl Section for AlertsAsOf {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn apply(&mut self, event: &LogEvent) {
        match &event.event {
            CustomerEvent::AlertRaised(e) => self.alerts.push(AlertAsOf {
                alert_id: e.alert_id.to_string(),
                cause: e.cause.clone(),
                raised_at: e.raised_at,
                template: Some(e.message.template.clone()),
                state: AlertState::Raised,
                state_since: e.raised_at,
            }),
            CustomerEvent::AlertSuppressed(e) => self.alerts.push(AlertAsOf {
                alert_id: e.alert_id.to_string(),
                cause: e.cause.clone(),
                raised_at: e.raised_at,
                template: None,
                state: AlertState::Suppressed,
                state_since: e.raised_at,
            }),
            CustomerEvent::AlertSent(e) => {
                self.advance(e.alert_id.as_str(), AlertState::Sent, e.sent_at)
            }
            CustomerEvent::AlertFailed(e) => {
                self.advance(e.alert_id.as_str(), AlertState::Failed, e.failed_at)
            }
            CustomerEvent::AlertDeliveryUpdated(e) => {
                let state = match e.status {
                    DeliveryStatus::Sent => AlertState::Sent,
                    DeliveryStatus::Delivered => AlertState::Delivered,
                    DeliveryStatus::Read => AlertState::Read,
                    DeliveryStatus::Failed => AlertState::Failed,
                };
                self.advance(e.alert_id.as_str(), state, e.reported_at);
            }
            _ => {}
        }
    }

    fn render(&self) -> Value {
        let open: Vec<&AlertAsOf> = self.alerts.iter().filter(|a| a.is_open()).collect();
        serde_json::json!({ "open": open, "all": self.alerts })
    }
}
