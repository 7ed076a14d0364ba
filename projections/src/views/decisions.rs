//! `risk_decisions`: every recorded `RiskAssessed`, one row each — what the
//! admin API needs for band mix over time, band migrations and the reasons
//! in force. Rows are only inserted (a decision never changes).

use domain::CustomerEvent;
use sqlx::PgConnection;
use store::RecordedEvent;

use super::risk_state::band_name;
use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The decisions view.
pub struct RiskDecisions;

impl Projection for RiskDecisions {
    const NAME: &'static str = "risk_decisions";
    const TABLES: &'static [&'static str] = &["risk_decisions"];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("risk_decisions");
        for (stored, event) in customer_events(events)? {
            let CustomerEvent::RiskAssessed(e) = event else {
                continue;
            };
            let a = &e.assessment;
            let rules: Vec<String> = a.fired_rules.iter().map(|r| r.id.clone()).collect();
            let reasons = serde_json::to_value(
                a.reasons
                    .iter()
                    .map(|r| {
                        serde_json::json!({"code": r.code, "feature": r.feature, "text": r.text,
                                           "help": r.help, "contribution": r.contribution})
                    })
                    .collect::<Vec<_>>(),
            )
            .map_err(|err| ProjectionError::Poison {
                position: stored.checkpoint.position,
                reason: err.to_string(),
            })?;
            sqlx::query(&format!(
                "INSERT INTO {table} (decision_id, customer_id, position, as_of, band_before, band, \
                     score, fired_rules, reasons, model_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (decision_id) DO NOTHING"
            ))
            .bind(&a.decision_id)
            .bind(&stored.aggregate_id)
            .bind(stored.checkpoint.position)
            .bind(a.as_of)
            .bind(band_name(e.band_before))
            .bind(band_name(a.band))
            .bind(a.scores.ensemble)
            .bind(&rules)
            .bind(reasons)
            .bind(&a.model_version)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}
