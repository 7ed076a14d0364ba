//! The alert outbox projection: every `AlertRaised` becomes a due row in
//! `alert_outbox`, in the same transaction as the projection's checkpoint, so
//! no raised alert is ever missed or queued twice. Outcomes close the row;
//! a delivery status teaches it the message id (which settles a send whose
//! answer was lost).
//!
//! A one-time code issued to a customer's phone (`OtpIssued` on a login
//! stream, with a customer and a sealed code) is queued the same way as a
//! row of kind `otp`; codes for phones that are no customer's are not.
//!
//! The dispatcher works on the same rows; the projection only inserts new
//! rows and moves them forward, never back, so the two cannot undo each
//! other's work.

use domain::login::{Login, LoginEvent};
use domain::CustomerEvent;
use projections::projection::customer_events;
use projections::{Projection, ProjectionError, Tables};
use sqlx::PgConnection;
use store::RecordedEvent;

/// Keeps `alert_outbox` in step with the log.
pub struct AlertOutbox;

impl Projection for AlertOutbox {
    const NAME: &'static str = "alert_outbox";
    const TABLES: &'static [&'static str] = &["alert_outbox"];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("alert_outbox");
        for (stored, event) in login_events(events)? {
            let LoginEvent::OtpIssued(e) = event else {
                continue;
            };
            let (Some(customer), Some(sealed)) = (&e.customer_id, &e.sealed_code) else {
                continue;
            };
            sqlx::query(&format!(
                "INSERT INTO {table} (alert_id, customer_id, recipient, message, raised_at, \
                     raised_position, kind, stream_id, sealed) \
                 VALUES ($1, $2, $3, '{{}}'::jsonb, $4, $5, 'otp', $6, $7) \
                 ON CONFLICT (alert_id) DO NOTHING"
            ))
            .bind(e.otp_id.as_str())
            .bind(customer.as_str())
            .bind(e.phone.as_str())
            .bind(e.issued_at)
            .bind(stored.checkpoint.position)
            .bind(&stored.aggregate_id)
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
        }
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

/// Decodes the login events of a batch.
fn login_events(
    events: &[RecordedEvent],
) -> Result<Vec<(&RecordedEvent, LoginEvent)>, ProjectionError> {
    events
        .iter()
        .filter(|e| e.aggregate_type == <Login as cqrs_es::Aggregate>::TYPE)
        .map(|e| {
            e.payload
                .decode()
                .map(|d| (e, d))
                .map_err(|err| ProjectionError::Poison {
                    position: e.checkpoint.position,
                    reason: err.to_string(),
                })
        })
        .collect()
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
