//! `GET /v1/me`: the signed-in customer's own picture. The customer id comes
//! from the token, never from the request, so no customer can name another.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sqlx::Row;

use super::problem::Problem;
use super::AppState;
use crate::auth::Caller;

async fn me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, Problem> {
    let row = sqlx::query(
        "SELECT customer_id, name, currency, credit_limit_minor, balance_minor, utilisation, band \
         FROM customer_overview WHERE customer_id = $1",
    )
    .bind(&caller.subject)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| Problem::not_found("no account data yet"))?;
    let limit: i64 = row.try_get("credit_limit_minor")?;
    let balance: i64 = row.try_get("balance_minor")?;
    Ok(Json(json!({
        "customer_id": row.try_get::<String, _>("customer_id")?,
        "name": row.try_get::<String, _>("name")?,
        "currency": row.try_get::<String, _>("currency")?,
        "credit_limit_minor": limit,
        "balance_minor": balance,
        "available_minor": (limit - balance).max(0),
        "utilisation": row.try_get::<f64, _>("utilisation")?,
        "band": row.try_get::<Option<String>, _>("band")?,
    })))
}

/// The customer's routes (role `customer`).
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me", get(me))
}
