//! The alert outbox projection: every `AlertRaised` becomes a due row in
//! `alert_outbox`, in the same transaction as the projection's checkpoint, so
//! no raised alert is ever missed or queued twice. Outcomes close the row;
//! a delivery status teaches it the message id (which settles a send whose
//! answer was lost).
//!
//! The dispatcher works on the same rows; the projection only inserts new
//! rows and moves them forward, never back, so the two cannot undo each
//! other's work.

use commands::RecordedEvent;
use domain::CustomerEvent;
use projections::projection::customer_events;
use projections::{Projection, ProjectionError, Tables};
use sqlx::PgConnection;

/// Keeps `alert_outbox` in step with the log.
pub struct AlertOutbox;

impl Projection for AlertOutbox {
    const NAME: &'static str = "alert_outbox";
    const TABLES: &'static [&'static str] = &["alert_outbox"];

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("alert_outbox");
        for (stored, event) in customer_events(events)? {
            let position = stored.checkpoint.position;
            match event {
                CustomerEvent::AlertRaised(e) => {
                    let message = json(&e.message, position)?;
                    let fallback = match &e.fallback {
                        Some(f) => Some(json(f, position)?),
                        None => None,
                    };
                    sqlx::query(&format!(
                        "INSERT INTO {table} (alert_id, customer_id, recipient, message, fallback, \
                             raised_at, raised_position) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (alert_id) DO NOTHING"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(&stored.aggregate_id)
                    .bind(e.recipient.as_str())
                    .bind(message)
                    .bind(fallback)
                    .bind(e.raised_at)
                    .bind(stored.checkpoint.position)
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertSent(e) => {
                    sqlx::query(&format!(
                        "UPDATE {table} SET state = 'sent', wamid = $2, in_flight_since = NULL, \
                             updated_at = now() WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(&e.wamid)
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertFailed(e) => {
                    sqlx::query(&format!(
                        "UPDATE {table} SET state = 'failed', in_flight_since = NULL, \
                             updated_at = now() WHERE alert_id = $1 AND state = 'pending'"
                    ))
                    .bind(e.alert_id.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                CustomerEvent::AlertDeliveryUpdated(e) => {
                    sqlx::query(&format!(
                        "UPDATE {table} SET wamid = COALESCE(wamid, $2), updated_at = now() \
                         WHERE alert_id = $1"
                    ))
                    .bind(e.alert_id.as_str())
                    .bind(&e.wamid)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn json<T: serde::Serialize>(
    value: &T,
    position: i64,
) -> Result<serde_json::Value, ProjectionError> {
    serde_json::to_value(value).map_err(|e| ProjectionError::Poison {
        position,
        reason: e.to_string(),
    })
}
