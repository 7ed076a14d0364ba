//! A customer's risk over time and what was sent to them, as the admin's
//! drill-down shows it: the points of the risk chart, the band thresholds
//! drawn on it, and the alerts with their delivery state. Typed, so what is
//! sent is its own API description.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;

use crate::http::problem::Problem;

/// Points of the risk chart at most.
const HISTORY_POINTS: i64 = 500;

/// One point of the risk chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RiskPoint {
    /// When scored.
    pub at: DateTime<Utc>,
    /// Score.
    pub score: f64,
    /// Band.
    pub band: String,
}

/// Band thresholds of the scoring model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Thresholds {
    /// Lowest Medium probability.
    pub medium: f64,
    /// Lowest High probability.
    pub high: f64,
}

/// An alert and its delivery state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertRow {
    /// Id.
    pub alert_id: String,
    /// `escalation`, `manual` or `welcome`.
    pub kind: String,
    /// The decision (escalations).
    pub decision_id: Option<String>,
    /// The admin (manual alerts).
    pub requested_by: Option<String>,
    /// The admin's reason (manual alerts).
    pub reason: Option<String>,
    /// Template.
    pub template: String,
    /// `raised`, `suppressed`, `sent` or `failed`.
    pub status: String,
    /// Furthest delivery status: `sent`, `delivered`, `read`, `failed`.
    pub delivery: Option<String>,
    /// Raised.
    pub raised_at: DateTime<Utc>,
    /// Accepted by WhatsApp.
    pub sent_at: Option<DateTime<Utc>>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Read.
    pub read_at: Option<DateTime<Utc>>,
    /// WhatsApp error code on failure.
    pub failed_code: Option<i64>,
    /// Why it failed.
    pub failed_reason: Option<String>,
    /// Attempts.
    pub attempts: i32,
    /// Whether the fallback template was used.
    pub fallback_used: bool,
    /// Why a suppressed alert was not sent: `cooldown`, `stale` (about a
    /// fact older than `ALERT_MAX_AGE` when decided, e.g. imported history)
    /// or `budget` (the portfolio's alert budget, `ALERT_FALSE_ALARM_BUDGET`,
    /// had no room for one more customer).
    pub suppressed_reason: Option<String>,
    /// The pricing category WhatsApp charged it under (`utility`, …).
    pub pricing_category: Option<String>,
}

/// The risk chart's points, oldest first (the newest [`HISTORY_POINTS`]).
pub async fn risk_history(db: &mut PgConnection, id: &str) -> Result<Vec<RiskPoint>, Problem> {
    let rows = sqlx::query(
        "SELECT scored_at, score, band FROM ( \
             SELECT scored_at, score, band, sequence FROM risk_history WHERE customer_id = $1 \
             ORDER BY sequence DESC LIMIT $2) h ORDER BY sequence",
    )
    .bind(id)
    .bind(HISTORY_POINTS)
    .fetch_all(&mut *db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RiskPoint {
                at: r.try_get("scored_at")?,
                score: r.try_get("score")?,
                band: r.try_get("band")?,
            })
        })
        .collect()
}

/// The band thresholds of the model that scored the customer (from the
/// model registry), for drawing them on the risk chart.
pub async fn thresholds(db: &mut PgConnection, id: &str) -> Result<Option<Thresholds>, Problem> {
    let t: Option<Value> = sqlx::query_scalar(
        "SELECT m.canonical::jsonb -> 'bands' FROM customer_risk r \
         JOIN model_registry m ON m.version = r.model_version WHERE r.customer_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    t.map(serde_json::from_value)
        .transpose()
        .map_err(|e| Problem::internal(&e))
}

/// Alerts, newest first (only those sent, with `only_sent`).
pub async fn alerts(
    db: &mut PgConnection,
    id: &str,
    only_sent: bool,
    limit: i64,
) -> Result<Vec<AlertRow>, Problem> {
    let rows = sqlx::query(
        "SELECT alert_id, kind, decision_id, requested_by, reason, template, status, delivery, \
                raised_at, sent_at, delivered_at, read_at, failed_code, failed_reason, attempts, \
                fallback_used, suppressed_reason, pricing_category \
         FROM customer_alerts WHERE customer_id = $1 AND (NOT $2 OR status = 'sent') \
         ORDER BY raised_at DESC, alert_id DESC LIMIT $3",
    )
    .bind(id)
    .bind(only_sent)
    .bind(limit)
    .fetch_all(&mut *db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AlertRow {
                alert_id: r.try_get("alert_id")?,
                kind: r.try_get("kind")?,
                decision_id: r.try_get("decision_id")?,
                requested_by: r.try_get("requested_by")?,
                reason: r.try_get("reason")?,
                template: r.try_get("template")?,
                status: r.try_get("status")?,
                delivery: r.try_get("delivery")?,
                raised_at: r.try_get("raised_at")?,
                sent_at: r.try_get("sent_at")?,
                delivered_at: r.try_get("delivered_at")?,
                read_at: r.try_get("read_at")?,
                failed_code: r.try_get("failed_code")?,
                failed_reason: r.try_get("failed_reason")?,
                attempts: r.try_get("attempts")?,
                fallback_used: r.try_get("fallback_used")?,
                suppressed_reason: r.try_get("suppressed_reason")?,
                pricing_category: r.try_get("pricing_category")?,
            })
        })
        .collect()
}
