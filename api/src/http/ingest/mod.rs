//! Ingest: the bank's systems register customers and stream their card
//! activity. Every write is idempotent on its id (a repeat is answered as the
//! first time, with `Idempotent-Replayed: true`), validated field by field,
//! and a refused request stores nothing.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use domain::customer::*;
use domain::values::CustomerId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::Outcome;

use super::json::StrictJson;
use super::problem::Problem;
use super::{AppState, RequestMeta};
use crate::wire;

pub mod batch;
pub mod corrections;

use batch::{record_corrections_batch, record_transactions_batch};
use corrections::{correct_statement, return_payment, reverse_transaction};

/// Most items in one batch request.
pub const MAX_BATCH_ITEMS: usize = 10_000;
const SINGLE_BODY_LIMIT: usize = 64 * 1024;
const BATCH_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Marks an answer to a repeated request (nothing new was stored).
pub(crate) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Ingest routes.
pub fn router() -> Router<AppState> {
    let single = Router::new()
        .route("/v1/customers", post(register_customer))
        .route(
            "/v1/customers/{customer_id}/credit-limit",
            post(change_credit_limit),
        )
        .route(
            "/v1/customers/{customer_id}/transactions",
            post(record_transaction),
        )
        .route(
            "/v1/customers/{customer_id}/statements",
            post(issue_statement),
        )
        .route("/v1/customers/{customer_id}/payments", post(record_payment))
        .route(
            "/v1/customers/{customer_id}/days-past-due",
            post(report_days_past_due),
        )
        .route(
            "/v1/customers/{customer_id}/reversals",
            post(reverse_transaction),
        )
        .route(
            "/v1/customers/{customer_id}/payment-returns",
            post(return_payment),
        )
        .route(
            "/v1/customers/{customer_id}/statement-corrections",
            post(correct_statement),
        )
        .layer(DefaultBodyLimit::max(SINGLE_BODY_LIMIT));
    let batch = Router::new()
        .route("/v1/transactions:batch", post(record_transactions_batch))
        .route("/v1/corrections:batch", post(record_corrections_batch))
        .layer(DefaultBodyLimit::max(BATCH_BODY_LIMIT));
    single.merge(batch)
}

/// The answer to a recorded (or repeated) fact.
#[derive(Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Recorded {
    /// The customer.
    pub customer_id: String,
    /// The fact's position in the customer's stream.
    pub sequence: i64,
}

pub(super) fn path_id(raw: &str) -> Result<CustomerId, Problem> {
    CustomerId::parse(raw).map_err(|m| Problem::field("customer_id", m))
}

pub(super) async fn run(
    state: &AppState,
    id: &CustomerId,
    command: CustomerCommand,
    meta: RequestMeta,
) -> Result<Outcome, Problem> {
    super::clock::not_from_the_future(&command, state.max_future_skew)?;
    let addressed = Addressed {
        customer_id: id.clone(),
        command,
    };
    Ok(state
        .customers
        .execute(id.as_str(), addressed, &meta.0)
        .await?)
}

/// 201 with the fact's sequence; a repeat answers the same, marked replayed.
pub(super) fn created(
    id: &CustomerId,
    outcome: Outcome,
    unchanged_sequence: Option<i64>,
) -> Result<Response, Problem> {
    let (sequence, replayed) = match (
        outcome.recorded.first(),
        outcome.repeat_of,
        unchanged_sequence,
    ) {
        (Some(c), _, _) => (c.sequence, false),
        (None, Some(seq), _) | (None, None, Some(seq)) => (seq, true),
        (None, None, None) => {
            return Err(Problem::internal(
                &"a command recorded nothing and repeated nothing",
            ))
        }
    };
    let mut resp = (
        StatusCode::CREATED,
        Json(Recorded {
            customer_id: id.to_string(),
            sequence,
        }),
    )
        .into_response();
    if replayed {
        resp.headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(resp)
}

#[utoipa::path(
    post,
    path = "/v1/customers",
    tag = "ingest",
    summary = "Register a customer",
    request_body = crate::http::openapi::schemas::RegisterCustomerBody,
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn register_customer(
    State(state): State<AppState>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<Map<String, Value>>,
) -> Result<Response, Problem> {
    let mut body = body;
    let id = wire::take_customer_id(&mut body)?;
    let command: RegisterCustomer = super::json::from_value(Value::Object(body))?;
    let outcome = run(
        &state,
        &id,
        CustomerCommand::RegisterCustomer(command),
        meta,
    )
    .await?;
    // An identical repeat of a registration refers to the first event.
    created(&id, outcome, Some(1))
}

/// The answer to a credit-limit change.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CreditLimitAnswer {
    /// Customer id.
    pub customer_id: String,
    /// The limit now.
    pub credit_limit_minor: i64,
    /// Whether it changed (the same limit again records nothing).
    pub changed: bool,
    /// The event's sequence when it changed.
    pub sequence: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/credit-limit",
    tag = "ingest",
    summary = "Change the credit limit",
    request_body = crate::http::openapi::schemas::ChangeCreditLimitBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 200, description = "Applied (or unchanged)", body = CreditLimitAnswer),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn change_credit_limit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<ChangeCreditLimit>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let limit = body.credit_limit_minor.minor();
    let outcome = run(&state, &id, CustomerCommand::ChangeCreditLimit(body), meta).await?;
    let sequence = outcome.recorded.first().map(|c| c.sequence);
    Ok(Json(CreditLimitAnswer {
        customer_id: id.to_string(),
        credit_limit_minor: limit,
        changed: sequence.is_some(),
        sequence,
    })
    .into_response())
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/transactions",
    tag = "ingest",
    summary = "Record a card transaction",
    request_body = crate::http::openapi::schemas::TransactionBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn record_transaction(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<RecordTransaction>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::RecordTransaction(body), meta).await?;
    created(&id, outcome, None)
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/statements",
    tag = "ingest",
    summary = "Issue a monthly statement",
    request_body = crate::http::openapi::schemas::StatementBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn issue_statement(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<IssueStatement>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::IssueStatement(body), meta).await?;
    created(&id, outcome, None)
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/payments",
    tag = "ingest",
    summary = "Record a payment",
    request_body = crate::http::openapi::schemas::PaymentBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn record_payment(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<RecordPayment>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::RecordPayment(body), meta).await?;
    created(&id, outcome, None)
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/days-past-due",
    tag = "ingest",
    summary = "Report days past due",
    request_body = crate::http::openapi::schemas::DaysPastDueBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
async fn report_days_past_due(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<ReportDaysPastDue>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::ReportDaysPastDue(body), meta).await?;
    created(&id, outcome, None)
}
