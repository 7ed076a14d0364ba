//! `customer_alerts`: every alert a customer was raised, with what became
//! of it — suppressed, sent (and how far it got: delivered, read) or
//! failed. Delivery statuses keep the furthest state, whatever their order.

use domain::customer::{AlertCause, DeliveryStatus};
use domain::CustomerEvent;
use sqlx::PgConnection;
use store::RecordedEvent;

use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The alerts view.
pub struct CustomerAlerts;

fn status_name(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Read => "read",
        DeliveryStatus::Failed => "failed",
    }
}

/// SQL rank of a delivery name, to keep the furthest (failed is terminal).
const RANK: &str = "CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 \
                    WHEN 'failed' THEN 4 ELSE 0 END";

impl Projection for CustomerAlerts {
    const NAME: &'static str = "customer_alerts";
    const TABLES: &'static [&'static str] = &["customer_alerts"];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("customer_alerts");
        for (stored, event) in customer_events(events)? {
            let position = stored.checkpoint.position;
            match event {
                CustomerEvent::AlertRaised(e) => {
                    insert(
                        tx,
                        table,
                        &stored.aggregate_id,
                        position,
                        &e.alert_id.to_string(),
                        &e.cause,
                        &e.message.template,
                        &e.message.body_params,
                        e.raised_at,
                        "raised",
                    )
                    .await?;
                }
                CustomerEvent::AlertSuppressed(e) => {
                    insert(
                        tx,
                        table,
                        &stored.aggregate_id,
                        position,
                        &e.alert_id.to_string(),
                        &e.cause,
                        "",
                        &[],
                        e.raised_at,
                        "suppressed",
                    )
                    .await?;
                    sqlx::query(&format!(
                        "UPDATE {table} SET suppressed_reason = $2 WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(e.reason.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertSent(e) => {
                    sqlx::query(&format!(
                        "UPDATE {table} SET status = 'sent', wamid = $2, attempts = $3, \
                             fallback_used = $4, sent_at = $5 WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(&e.wamid)
                    .bind(i32::try_from(e.attempts).unwrap_or(i32::MAX))
                    .bind(e.fallback_used)
                    .bind(e.sent_at)
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertFailed(e) => {
                    sqlx::query(&format!(
                        "UPDATE {table} SET status = 'failed', attempts = $2, failed_code = $3, \
                             failed_reason = $4 WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(i32::try_from(e.attempts).unwrap_or(i32::MAX))
                    .bind(e.code)
                    .bind(&e.reason)
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertDeliveryUpdated(e) => {
                    let new = status_name(e.status);
                    let current_rank = RANK.replace("{}", "delivery");
                    let new_rank = RANK.replace("{}", "$2::text");
                    sqlx::query(&format!(
                        "UPDATE {table} SET \
                             delivery = CASE WHEN {new_rank} > {current_rank} THEN $2 ELSE delivery END, \
                             delivered_at = CASE WHEN $2 = 'delivered' THEN coalesce(delivered_at, $3) \
                                 WHEN $2 = 'read' THEN coalesce(delivered_at, $3) ELSE delivered_at END, \
                             read_at = CASE WHEN $2 = 'read' THEN coalesce(read_at, $3) ELSE read_at END, \
                             failed_code = CASE WHEN $2 = 'failed' THEN coalesce($4, failed_code) ELSE failed_code END, \
                             failed_reason = CASE WHEN $2 = 'failed' THEN coalesce($6, failed_reason) ELSE failed_reason END, \
                             pricing_category = coalesce($7, pricing_category), \
                             wamid = coalesce(wamid, $5) \
                         WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(new)
                    .bind(e.reported_at)
                    .bind(e.error_code)
                    .bind(&e.wamid)
                    .bind(e.error_reason.as_ref().map(|r| match e.error_code {
                        Some(code) => format!("{code} {r}"),
                        None => r.clone(),
                    }))
                    .bind(&e.pricing_category)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut PgConnection,
    table: &str,
    customer: &str,
    position: i64,
    alert_id: &str,
    cause: &AlertCause,
    template: &str,
    params: &[String],
    raised_at: chrono::DateTime<chrono::Utc>,
    status: &str,
) -> Result<(), ProjectionError> {
    let (kind, decision, by, reason) = match cause {
        AlertCause::Escalation { decision_id, .. } => {
            ("escalation", Some(decision_id.as_str()), None, None)
        }
        AlertCause::Manual {
            requested_by,
            reason,
        } => (
            "manual",
            None,
            Some(requested_by.as_str()),
            Some(reason.as_str()),
        ),
        AlertCause::Welcome { .. } => ("welcome", None, None, None),
    };
    sqlx::query(&format!(
        "INSERT INTO {table} (alert_id, customer_id, position, kind, decision_id, requested_by, reason, \
             template, body_params, raised_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (alert_id) DO NOTHING"
    ))
    .bind(alert_id)
    .bind(customer)
    .bind(position)
    .bind(kind)
    .bind(decision)
    .bind(by)
    .bind(reason)
    .bind(template)
    .bind(serde_json::json!(params))
    .bind(raised_at)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
