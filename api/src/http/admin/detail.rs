//! `GET /v1/admin/customers/{id}` and its paged sub-resources: everything an
//! admin needs on one customer — profile and usage, current features, band
//! and reasons, risk history for a chart, recent transactions and
//! statements, and alerts with their delivery state.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub use super::activity::corrections;
pub use super::activity::{overview, statements, transactions};
use super::activity::{CorrectionRow, Profile, StatementsPage, TransactionsPage};
pub use super::risk::risk;
use super::risk::RiskInForce;
pub use super::timeline::alerts;
use super::timeline::{risk_history, thresholds, AlertRow, RiskPoint, Thresholds};
use crate::http::freshness::{positions, Projected};
use crate::http::params::{bad_param, Params};
use crate::http::problem::Problem;
use crate::http::snapshot;
use crate::http::AppState;

fn customer_id(raw: &str) -> Result<String, Problem> {
    domain::values::CustomerId::parse(raw)
        .map(|c| c.to_string())
        .map_err(|m| bad_param("customer_id", m))
}

/// `GET /v1/admin/customers/{id}`.
#[derive(Serialize, ToSchema)]
pub struct CustomerDetail {
    /// Profile and usage.
    pub profile: Profile,
    /// Current behavioural features (name → value), with their as-of time.
    #[schema(value_type = Option<Object>)]
    pub features: Option<Value>,
    /// Band, score, reasons.
    pub risk: RiskInForce,
    /// Scores over time, oldest first (at most 500).
    pub risk_history: Vec<RiskPoint>,
    /// For drawing on the chart.
    pub band_thresholds: Option<Thresholds>,
    /// Newest transactions (20) and the cursor for more.
    pub transactions: TransactionsPage,
    /// Newest statements (12) and the cursor for more.
    pub statements: StatementsPage,
    /// Corrections of recorded facts (reversals, returned payments,
    /// corrected statements), newest first (at most 50).
    pub corrections: Vec<CorrectionRow>,
    /// Alerts, newest first.
    pub alerts: Vec<AlertRow>,
    /// Freshness.
    pub projected: Vec<Projected>,
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
        (status = 200, description = "Profile, features, risk, history, activity, alerts", body = CustomerDetail),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer,
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn show_customer(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<CustomerDetail>, Problem> {
    Params::new(q, &[])?;
    let id = customer_id(&raw)?;
    // One snapshot for the whole page: the projections commit apart, and
    // the page must not show a table before a batch beside one after it.
    let mut db = snapshot::begin(&state.pool).await?;
    let profile = overview(&mut db, &id).await?;
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
    .fetch_optional(&mut *db)
    .await?;
    let projected: Vec<Projected> = positions(
        &mut db,
        &[
            "customer_overview",
            "customer_activity",
            "customer_features",
            "risk_decisions",
            "customer_alerts",
        ],
    )
    .await?;
    Ok(Json(CustomerDetail {
        profile,
        features,
        risk: risk(&mut db, &id).await?,
        risk_history: risk_history(&mut db, &id).await?,
        band_thresholds: thresholds(&mut db, &id).await?,
        transactions: transactions(&mut db, &id, 20, None).await?,
        statements: statements(&mut db, &id, 12, None).await?,
        corrections: corrections(&mut db, &id, 50).await?,
        alerts: alerts(&mut db, &id, false, 50).await?,
        projected,
    }))
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
pub async fn list_transactions(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<TransactionsPage>, Problem> {
    let p = Params::new(q, &["limit", "cursor"])?;
    let id = customer_id(&raw)?;
    let mut db = snapshot::begin(&state.pool).await?;
    overview(&mut db, &id).await?;
    let limit = p.limit(50, 200)?;
    Ok(Json(
        transactions(&mut db, &id, limit, p.text("cursor")).await?,
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
pub async fn list_statements(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<StatementsPage>, Problem> {
    let p = Params::new(q, &["limit", "cursor"])?;
    let id = customer_id(&raw)?;
    let mut db = snapshot::begin(&state.pool).await?;
    overview(&mut db, &id).await?;
    let limit = p.limit(12, 120)?;
    Ok(Json(
        statements(&mut db, &id, limit, p.text("cursor")).await?,
    ))
}
