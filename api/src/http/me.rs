//! `GET /v1/me`: the signed-in customer's own picture — credit usage, the
//! current band with plain-language reasons and what would help, recent
//! transactions and the messages they were sent. The customer id comes from
//! the token, never from the request, so no customer can name another.
//!
//! The answer is a typed value whose every field is one a customer may see:
//! nothing internal to the bank (staff notes, who asked for an alert,
//! decision ids, alert kinds, model scores, log positions, delivery error
//! codes) has a field to travel in. `api/tests/customer_fields.rs` lists the
//! fields and fails on any other.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;

use super::admin::activity::TransactionRow;
use super::admin::detail::{overview, risk, transactions};
use super::problem::Problem;
use super::AppState;
use crate::auth::Caller;
use crate::http::snapshot;

/// Credit usage as the customer sees it.
#[derive(Serialize, ToSchema)]
pub struct Usage {
    /// ISO 4217 currency of the account.
    pub currency: String,
    /// Credit limit, in minor units.
    pub credit_limit_minor: i64,
    /// Balance owed, in minor units.
    pub balance_minor: i64,
    /// Limit left to use, in minor units.
    pub available_minor: i64,
    /// Balance ÷ limit.
    pub utilisation: f64,
}

/// One reason for the band, in plain words, with what would help.
#[derive(Serialize, ToSchema)]
pub struct CustomerReason {
    /// The reason.
    pub reason: String,
    /// What would help.
    pub what_would_help: String,
}

/// A WhatsApp message the bank sent the customer, as it was delivered.
#[derive(Serialize, ToSchema)]
pub struct SentMessage {
    /// The approved template the message used.
    pub template: String,
    /// The values filled into the template, as the customer received them.
    pub body_params: Vec<String>,
    /// When WhatsApp accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// `sent` (accepted by WhatsApp).
    pub status: String,
    /// Furthest delivery state reported: `sent`, `delivered`, `read`, `failed`.
    pub delivery: Option<String>,
    /// When it reached the customer's phone.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the customer read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// `GET /v1/me`.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The customer's id (the token's subject).
    pub customer_id: String,
    /// Their name.
    pub name: String,
    /// Credit usage.
    pub usage: Usage,
    /// Current band: `Low`, `Medium` or `High`.
    pub band: String,
    /// Since when the band is in force.
    pub band_since: Option<DateTime<Utc>>,
    /// Why, and what would help: the reasons of the band in force, as the
    /// card looked at `reasons_as_of` (their numbers are that moment's).
    pub reasons: Vec<CustomerReason>,
    /// The moment the band and its reasons were worked out at.
    pub reasons_as_of: Option<DateTime<Utc>>,
    /// The last 10 transactions, newest first.
    pub recent_transactions: Vec<TransactionRow>,
    /// Messages sent to the customer, newest first (at most 20).
    pub messages: Vec<SentMessage>,
}

/// The messages sent to the customer: only what they received, never why
/// the bank sent them or who asked.
async fn sent_messages(
    db: &mut PgConnection,
    id: &str,
    limit: i64,
) -> Result<Vec<SentMessage>, Problem> {
    let rows = sqlx::query(
        "SELECT template, body_params, sent_at, status, delivery, delivered_at, read_at \
         FROM customer_alerts WHERE customer_id = $1 AND status = 'sent' \
         ORDER BY raised_at DESC, alert_id DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let params: Value = r.try_get("body_params")?;
        out.push(SentMessage {
            template: r.try_get("template")?,
            body_params: params
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
            sent_at: r.try_get("sent_at")?,
            status: r.try_get("status")?,
            delivery: r.try_get("delivery")?,
            delivered_at: r.try_get("delivered_at")?,
            read_at: r.try_get("read_at")?,
        });
    }
    Ok(out)
}

#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "customer",
    summary = "The signed-in customer's own picture",
    description = "Usage, band, reasons with what would help, recent transactions and the \
                   messages the customer was sent. Holds nothing internal to the bank: no \
                   staff notes, no decision ids, no scores.",
    responses(
        (status = 200, description = "Usage, band, reasons, transactions, messages", body = Me),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer
    ),
    security(("bearer" = []))
)]
async fn show_own_page(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, Problem> {
    let id = caller.subject.as_str();
    // One snapshot for the page (the projections commit apart).
    let mut db = snapshot::begin(&state.pool).await?;
    let profile = overview(&mut db, id)
        .await
        .map_err(|_| Problem::not_found("your account data is not available yet"))?;
    let risk = risk(&mut db, id).await?;
    // Customers see reasons and help, not model internals.
    let reasons = risk
        .reasons
        .iter()
        .map(|r| CustomerReason {
            reason: r.text.clone(),
            what_would_help: r.help.clone(),
        })
        .collect();
    let recent = transactions(&mut db, id, 10, None).await?.items;
    Ok(Json(Me {
        customer_id: profile.customer_id,
        name: profile.name,
        usage: Usage {
            currency: profile.currency,
            credit_limit_minor: profile.credit_limit_minor,
            balance_minor: profile.balance_minor,
            available_minor: profile.available_minor,
            utilisation: profile.utilisation,
        },
        band: risk.band,
        band_since: risk.since.flatten(),
        reasons,
        reasons_as_of: risk.decided_at,
        recent_transactions: recent,
        messages: sent_messages(&mut db, id, 20).await?,
    }))
}

/// The customer's routes (role `customer`).
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me", get(show_own_page))
}
