//! `GET /v1/me`: the signed-in customer's own picture — credit usage, the
//! current band with plain-language reasons and what would help, recent
//! transactions and the alerts they received. The customer id comes from
//! the token, never from the request, so no customer can name another.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::admin::detail::{alerts, overview, risk, transactions};
use super::freshness::positions;
use super::problem::Problem;
use super::AppState;
use crate::auth::Caller;

#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "customer",
    summary = "The signed-in customer's own picture",
    responses(
        (status = 200, description = "Usage, band, reasons, transactions, alerts", body = crate::http::openapi::schemas::Me),
        (status = 401, description = "Missing or invalid token", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown customer", body = crate::http::problem::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, Problem> {
    let id = caller.subject.as_str();
    let profile = overview(&state.pool, id)
        .await
        .map_err(|_| Problem::not_found("your account data is not available yet"))?;
    let risk = risk(&state.pool, id).await?;
    // Customers see reasons and help, not model internals.
    let reasons: Vec<Value> = risk["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| json!({"reason": r["text"], "what_would_help": r["help"]}))
        .collect();
    Ok(Json(json!({
        "customer_id": profile["customer_id"],
        "name": profile["name"],
        "usage": {
            "currency": profile["currency"],
            "credit_limit_minor": profile["credit_limit_minor"],
            "balance_minor": profile["balance_minor"],
            "available_minor": profile["available_minor"],
            "utilisation": profile["utilisation"],
        },
        "band": risk["band"],
        "band_since": risk.get("since"),
        "reasons": reasons,
        "recent_transactions": transactions(&state.pool, id, 10, None).await?["items"],
        "alerts": alerts(&state.pool, id, true, 20).await?,
        "projected": positions(&state.pool, &["customer_overview", "risk_decisions", "customer_alerts"]).await?,
    })))
}

/// The customer's routes (role `customer`).
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me", get(me))
}
