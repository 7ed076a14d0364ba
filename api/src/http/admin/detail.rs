//! `GET /v1/admin/customers/{id}` and its paged sub-resources: everything an
//! admin needs on one customer — profile and usage, current features, band
//! and reasons, risk history for a chart, recent transactions and
//! statements, and alerts with their delivery state.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use sqlx::{PgPool, Row};

pub use super::activity::{overview, statements, transactions};
use super::activity::{StatementsPage, TransactionsPage};
use super::customers::top;
use crate::http::freshness::{positions, Projected};
use crate::http::params::{bad_param, Params};
use crate::http::problem::Problem;
use crate::http::AppState;

fn customer_id(raw: &str) -> Result<String, Problem> {
    domain::values::CustomerId::parse(raw)
        .map(|c| c.to_string())
        .map_err(|m| bad_param("customer_id", m))
}

/// The reasons of the customer's last recorded decision in the staff's
/// words: the feature, its value in that decision, and how much it moved
/// the score — read from the decision itself (the customer stream's latest
/// `RiskAssessed`; `customer` is the aggregate's type), so they match its
/// numbers.
async fn staff_reasons(pool: &PgPool, id: &str) -> Result<Value, Problem> {
    let assessment: Option<Value> = sqlx::query_scalar(
        "SELECT payload -> 'RiskAssessed' -> 'assessment' FROM events \
         WHERE aggregate_type = 'customer' AND aggregate_id = $1 AND event_type = 'RiskAssessed' \
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(a) = assessment else {
        return Ok(Value::Array(Vec::new()));
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
            json!({
                "code": code,
                "feature": feature,
                "value": value,
                "contribution": contribution,
                "staff_text": format!(
                    "{feature} = {value_text} ({why}; {:+.4} to the ensemble probability)",
                    contribution
                ),
                "customer_text": r["text"],
            })
        })
        .collect();
    Ok(Value::Array(rows))
}

/// Band, score, rules and the reasons in force (with what would help), all
/// from one decision — the last one recorded — and the moment it was made
/// at, so the reasons always match the numbers beside them. The latest
/// evaluation (scored at every event, not recorded unless it changed the
/// decision) is given apart, under `latest`.
pub async fn risk(pool: &PgPool, id: &str) -> Result<Value, Problem> {
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
    .fetch_optional(pool)
    .await?;
    let Some(r) = r else {
        return Ok(json!({
            "band": "Low", "score": null, "fired_rules": [], "reasons": [], "staff_reasons": [],
        }));
    };
    let latest = json!({
        "score": r.try_get::<f64, _>("latest_score")?,
        "band": r.try_get::<String, _>("latest_band")?,
        "scored_at": r.try_get::<chrono::DateTime<chrono::Utc>, _>("scored_at")?,
    });
    let Some(decision_id) = r.try_get::<Option<String>, _>("decision_id")? else {
        return Ok(json!({
            "band": "Low", "score": null, "fired_rules": [], "reasons": [], "staff_reasons": [],
            "latest": latest,
        }));
    };
    Ok(json!({
        "band": r.try_get::<String, _>("band")?,
        "since": r.try_get::<Option<chrono::DateTime<chrono::Utc>>, _>("recorded_since")?,
        "score": r.try_get::<f64, _>("score")?,
        "decided_at": r.try_get::<chrono::DateTime<chrono::Utc>, _>("as_of")?,
        "fired_rules": r.try_get::<Vec<String>, _>("fired_rules")?,
        "model_version": r.try_get::<String, _>("model_version")?,
        "decision_id": decision_id,
        "reasons": top(r.try_get("reasons")?, 5),
        "staff_reasons": top(staff_reasons(pool, id).await?, 5),
        "latest": latest,
    }))
}

/// Alerts, newest first.
pub async fn alerts(
    pool: &PgPool,
    id: &str,
    only_sent: bool,
    limit: i64,
) -> Result<Value, Problem> {
    let rows: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('alert_id', alert_id, 'kind', kind, 'decision_id', decision_id, \
                'requested_by', requested_by, 'reason', reason, 'template', template, 'status', status, \
                'delivery', delivery, 'raised_at', raised_at, 'sent_at', sent_at, 'delivered_at', delivered_at, \
                'read_at', read_at, 'failed_code', failed_code, 'failed_reason', failed_reason, \
                'attempts', attempts, 'fallback_used', fallback_used, \
                'suppressed_reason', suppressed_reason, 'pricing_category', pricing_category) \
         FROM customer_alerts WHERE customer_id = $1 AND (NOT $2 OR status = 'sent') \
         ORDER BY raised_at DESC, alert_id DESC LIMIT $3",
    )
    .bind(id)
    .bind(only_sent)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(Value::Array(rows))
}

/// The band thresholds of the model that scored the customer (from the
/// model registry), for drawing them on the risk chart.
async fn thresholds(pool: &PgPool, id: &str) -> Result<Value, Problem> {
    let t: Option<Value> = sqlx::query_scalar(
        "SELECT m.canonical::jsonb -> 'bands' FROM customer_risk r \
         JOIN model_registry m ON m.version = r.model_version WHERE r.customer_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(t.unwrap_or(Value::Null))
}

/// The full picture.
#[utoipa::path(
    get,
    path = "/v1/admin/customers/{customer_id}",
    tag = "admin",
    summary = "One customer in full",
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 200, description = "Profile, features, risk, history, activity, alerts", body = crate::http::openapi::schemas::CustomerDetail),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer,
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn detail(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, Problem> {
    Params::new(q, &[])?;
    let id = customer_id(&raw)?;
    let profile = overview(&state.pool, &id).await?;
    // The features by name and their moment — named, not "every column but",
    // so a column added to the table (the stored state) never leaks here.
    let columns: Vec<String> = std::iter::once("as_of")
        .chain(domain::features::FEATURE_NAMES)
        .map(|n| format!("'{n}', {n}"))
        .collect();
    let features: Option<Value> = sqlx::query_scalar(&format!(
        "SELECT jsonb_build_object({}) FROM customer_features WHERE customer_id = $1",
        columns.join(", ")
    ))
    .bind(&id)
    .fetch_optional(&state.pool)
    .await?;
    let history: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('at', scored_at, 'score', score, 'band', band) FROM ( \
             SELECT scored_at, score, band, sequence FROM risk_history WHERE customer_id = $1 \
             ORDER BY sequence DESC LIMIT 500) h ORDER BY sequence",
    )
    .bind(&id)
    .fetch_all(&state.pool)
    .await?;
    let projected: Vec<Projected> = positions(
        &state.pool,
        &[
            "customer_overview",
            "customer_activity",
            "customer_features",
            "risk_decisions",
            "customer_alerts",
        ],
    )
    .await?;
    Ok(Json(json!({
        "profile": profile,
        "features": features,
        "risk": risk(&state.pool, &id).await?,
        "risk_history": history,
        "band_thresholds": thresholds(&state.pool, &id).await?,
        "transactions": transactions(&state.pool, &id, 20, None).await?,
        "statements": statements(&state.pool, &id, 12, None).await?,
        "alerts": alerts(&state.pool, &id, false, 50).await?,
        "projected": projected,
    })))
}

/// `GET /v1/admin/customers/{id}/transactions?limit=&cursor=`.
#[utoipa::path(
    get,
    path = "/v1/admin/customers/{customer_id}/transactions",
    tag = "admin",
    summary = "A customer's transactions, newest first",
    params(
        ("customer_id" = String, Path, description = "The bank's customer id"),
        ("limit" = Option<i64>, Query, description = "1-200, default 50", minimum = 1, maximum = 200),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses(
        (status = 200, description = "A page", body = TransactionsPage),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer
    ),
    security(("bearer" = []))
)]
pub async fn transactions_page(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<TransactionsPage>, Problem> {
    let p = Params::new(q, &["limit", "cursor"])?;
    let id = customer_id(&raw)?;
    overview(&state.pool, &id).await?;
    let limit = p.limit(50, 200)?;
    Ok(Json(
        transactions(&state.pool, &id, limit, p.text("cursor")).await?,
    ))
}

/// `GET /v1/admin/customers/{id}/statements?limit=&cursor=`.
#[utoipa::path(
    get,
    path = "/v1/admin/customers/{customer_id}/statements",
    tag = "admin",
    summary = "A customer's statements, newest first",
    params(
        ("customer_id" = String, Path, description = "The bank's customer id"),
        ("limit" = Option<i64>, Query, description = "1-120, default 12", minimum = 1, maximum = 120),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses(
        (status = 200, description = "A page", body = StatementsPage),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer
    ),
    security(("bearer" = []))
)]
pub async fn statements_page(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<StatementsPage>, Problem> {
    let p = Params::new(q, &["limit", "cursor"])?;
    let id = customer_id(&raw)?;
    overview(&state.pool, &id).await?;
    let limit = p.limit(12, 120)?;
    Ok(Json(
        statements(&state.pool, &id, limit, p.text("cursor")).await?,
    ))
}
