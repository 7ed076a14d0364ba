//! A customer's risk in force, typed: the band, score, rules and reasons of
//! the last recorded decision (all from that one decision, so the reasons
//! match the numbers beside them), the same reasons in the staff's words,
//! and the latest evaluation apart. The admin's drill-down shows all of it;
//! the customer's own page only the band and the reasons' friendly text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;

use crate::http::problem::Problem;

/// Reasons shown per decision.
const TOP_REASONS: usize = 5;

/// A reason for a band in plain language (as the decision recorded it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// `rule:<id>` or `model:<feature>`.
    pub code: String,
    /// The feature.
    pub feature: Option<String>,
    /// The reason.
    pub text: String,
    /// What would help.
    pub help: String,
    /// Contribution to the probability.
    pub contribution: f64,
}

/// A reason of the decision in force, as staff read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffReason {
    /// `rule:<id>` or `model:<feature>`.
    pub code: String,
    /// The feature.
    pub feature: String,
    /// Its value in the decision.
    pub value: Option<f64>,
    /// Its contribution to the ensemble probability.
    pub contribution: f64,
    /// E.g. "utilisation = 0.9400 (rule utilisation_above_90; +0.1200 to the ensemble probability)".
    pub staff_text: String,
    /// What the customer is told.
    pub customer_text: String,
}

/// The latest evaluation of a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LatestScore {
    /// Ensemble probability.
    pub score: f64,
    /// Final band.
    pub band: String,
    /// As of when (business time).
    pub scored_at: DateTime<Utc>,
}

/// A customer's risk now. Before any recorded decision only `band` (Low),
/// `score` (null), the empty lists and, once scored, `latest` are given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RiskInForce {
    /// Band of the last recorded decision (Low before any).
    pub band: String,
    /// Since when (null when not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub since: Option<Option<DateTime<Utc>>>,
    /// Score of the decision in force.
    pub score: Option<f64>,
    /// The moment that decision was made as of (business time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Rules that fired in it.
    pub fired_rules: Vec<String>,
    /// The model that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The decision in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    /// Its top reasons.
    pub reasons: Vec<Reason>,
    /// The same reasons in the staff's words (feature, value, contribution).
    pub staff_reasons: Vec<StaffReason>,
    /// The latest evaluation (at the customer's last event or day's end),
    /// recorded as a decision only when it changed the band or fired a new
    /// rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<LatestScore>,
}

impl RiskInForce {
    /// Before any recorded decision.
    fn none(latest: Option<LatestScore>) -> Self {
        Self {
            band: "Low".to_owned(),
            since: None,
            score: None,
            decided_at: None,
            fired_rules: Vec::new(),
            model_version: None,
            decision_id: None,
            reasons: Vec::new(),
            staff_reasons: Vec::new(),
            latest,
        }
    }
}

/// The reasons of the customer's last recorded decision in the staff's
/// words: the feature, its value in that decision, and how much it moved
/// the score — read from the decision itself (the customer stream's latest
/// `RiskAssessed`; `customer` is the aggregate's type), so they match its
/// numbers.
async fn staff_reasons(db: &mut PgConnection, id: &str) -> Result<Vec<StaffReason>, Problem> {
    let assessment: Option<Value> = sqlx::query_scalar(
        "SELECT payload -> 'RiskAssessed' -> 'assessment' FROM events \
         WHERE aggregate_type = 'customer' AND aggregate_id = $1 AND event_type = 'RiskAssessed' \
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    let Some(a) = assessment else {
        return Ok(Vec::new());
    };
    let rows = a["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let feature = r["feature"].as_str().unwrap_or_default();
            let value = a["features"][feature].as_f64();
            let contribution = r["contribution"].as_f64().unwrap_or_default();
            let code = r["code"].as_str().unwrap_or_default();
            let why = if code.starts_with("rule:") {
                format!("rule {}", code.trim_start_matches("rule:"))
            } else {
                "model".to_owned()
            };
            let value_text = value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
            StaffReason {
                code: code.to_owned(),
                feature: feature.to_owned(),
                value,
                contribution,
                staff_text: format!(
                    "{feature} = {value_text} ({why}; {contribution:+.4} to the ensemble probability)"
                ),
                customer_text: r["text"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    Ok(rows)
}

/// Band, score, rules and the reasons in force (with what would help), all
/// from one decision — the last one recorded — and the moment it was made
/// at. The latest evaluation (scored at every event, not recorded unless it
/// changed the decision) is given apart, under `latest`.
pub async fn risk(db: &mut PgConnection, id: &str) -> Result<RiskInForce, Problem> {
    let r = sqlx::query(
        "SELECT r.recorded_since, r.score AS latest_score, r.band AS latest_band, r.scored_at, \
                d.band, d.score, d.fired_rules, d.model_version, d.as_of, \
                coalesce(d.reasons, '[]'::jsonb) AS reasons, d.decision_id \
         FROM customer_risk r LEFT JOIN LATERAL (SELECT band, score, fired_rules, model_version, as_of, \
              reasons, decision_id FROM risk_decisions \
              WHERE customer_id = r.customer_id ORDER BY position DESC LIMIT 1) d ON true \
         WHERE r.customer_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    let Some(r) = r else {
        return Ok(RiskInForce::none(None));
    };
    let latest = LatestScore {
        score: r.try_get("latest_score")?,
        band: r.try_get("latest_band")?,
        scored_at: r.try_get("scored_at")?,
    };
    let Some(decision_id) = r.try_get::<Option<String>, _>("decision_id")? else {
        return Ok(RiskInForce::none(Some(latest)));
    };
    let mut reasons: Vec<Reason> =
        serde_json::from_value(r.try_get("reasons")?).map_err(|e| Problem::internal(&e))?;
    reasons.truncate(TOP_REASONS);
    let mut staff = staff_reasons(db, id).await?;
    staff.truncate(TOP_REASONS);
    Ok(RiskInForce {
        band: r.try_get("band")?,
        since: Some(r.try_get("recorded_since")?),
        score: Some(r.try_get("score")?),
        decided_at: Some(r.try_get("as_of")?),
        fired_rules: r.try_get("fired_rules")?,
        model_version: Some(r.try_get("model_version")?),
        decision_id: Some(decision_id),
        reasons,
        staff_reasons: staff,
        latest: Some(latest),
    })
}
