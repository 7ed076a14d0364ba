//! Recording delivery statuses from verified webhooks on the right customer.
//!
//! A status names its alert by the `biz_opaque_callback_data` we sent (the
//! alert id) or, failing that, by its `wamid`. Statuses about messages that
//! are not ours are ignored; each known one becomes `AlertDeliveryUpdated`
//! on the customer's stream — once per status, whatever the order or the
//! number of repeats (the aggregate decides).

use chrono::{DateTime, Utc};
use domain::customer::{Addressed, AlertDeliveryUpdated, CustomerCommand, DeliveryStatus};
use domain::values::{CustomerId, ExternalId};
use domain::Customer;
use sqlx::{PgPool, Row};
use store::{CommandBus, CommandError, Metadata};
use whatsapp::webhook::{Delivery, StatusUpdate};

/// What a webhook body led to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryReport {
    /// Statuses recorded (or already recorded: repeats are no-ops).
    pub recorded: usize,
    /// Statuses about messages that are not our alerts.
    pub ignored: usize,
}

/// Recording failed for a reason a retry can fix: answer 5xx so WhatsApp
/// sends the webhook again.
#[derive(Debug, thiserror::Error)]
#[error("delivery status not recorded: {0}")]
pub struct DeliveryError(pub String);

/// Records statuses through the command bus.
#[derive(Clone)]
pub struct DeliveryRecorder {
    pool: PgPool,
    bus: CommandBus<Customer>,
}

fn status_of(d: Delivery) -> DeliveryStatus {
    match d {
        Delivery::Sent => DeliveryStatus::Sent,
        Delivery::Delivered => DeliveryStatus::Delivered,
        Delivery::Read => DeliveryStatus::Read,
        Delivery::Failed => DeliveryStatus::Failed,
    }
}

impl DeliveryRecorder {
    /// A recorder over `pool` and `bus`.
    pub fn new(pool: PgPool, bus: CommandBus<Customer>) -> Self {
        Self { pool, bus }
    }

    /// The (alert, customer) a status is about, if it is one of ours.
    async fn find(&self, u: &StatusUpdate) -> Result<Option<(String, String)>, sqlx::Error> {
        let row = match &u.callback_data {
            Some(alert_id) => {
                sqlx::query(
                    "SELECT alert_id, customer_id FROM alert_outbox WHERE alert_id = $1 AND kind = 'alert'",
                )
                    .bind(alert_id)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(
                    "SELECT alert_id, customer_id FROM alert_outbox WHERE wamid = $1 AND kind = 'alert'",
                )
                    .bind(&u.wamid)
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        row.map(|r| Ok((r.try_get("alert_id")?, r.try_get("customer_id")?)))
            .transpose()
    }

    /// Records every status of one webhook body.
    pub async fn record(&self, updates: &[StatusUpdate]) -> Result<DeliveryReport, DeliveryError> {
        let mut report = DeliveryReport::default();
        for u in updates {
            let found = self
                .find(u)
                .await
                .map_err(|e| DeliveryError(e.to_string()))?;
            let Some((alert_id, customer)) = found else {
                tracing::debug!(wamid = %u.wamid, "status for a message that is not an alert of ours");
                report.ignored += 1;
                continue;
            };
            let (Ok(alert), Ok(customer_id)) =
                (ExternalId::parse(&alert_id), CustomerId::parse(&customer))
            else {
                report.ignored += 1;
                continue;
            };
            let reported_at =
                DateTime::<Utc>::from_timestamp(u.timestamp, 0).unwrap_or_else(Utc::now);
            let command = CustomerCommand::RecordAlertDelivery(Box::new(AlertDeliveryUpdated {
                alert_id: alert,
                wamid: u.wamid.clone(),
                status: status_of(u.status),
                error_code: u.error_code,
                error_reason: u.error_reason.clone(),
                pricing_category: u.pricing_category.clone(),
                reported_at,
            }));
            let meta = Metadata {
                actor: "whatsapp-webhook".into(),
                request_id: format!("{}:{}", u.wamid, u.status.as_str()),
                correlation_id: alert_id.clone(),
                causation_id: Some(format!("alert:{alert_id}")),
            };
            let addressed = Addressed {
                customer_id,
                command,
            };
            match self.bus.execute(&customer, addressed, &meta).await {
                Ok(_) => report.recorded += 1,
                Err(CommandError::Rejected(e)) => {
                    tracing::warn!(alert = %alert_id, error = %e, "delivery status refused");
                    report.ignored += 1;
                }
                Err(e) => return Err(DeliveryError(e.to_string())),
            }
        }
        Ok(report)
    }
}
