//! Corrections over HTTP: a transaction reversed, a payment returned unpaid,
//! a statement corrected. Each is idempotent on its own id, refused (422,
//! nothing stored) when it corrects something this customer never had or
//! more than there is, and answered like any recorded fact.

use axum::extract::{Path, State};
use axum::response::Response;
use domain::customer::{CorrectStatement, CustomerCommand, ReturnPayment, ReverseTransaction};

use super::{created, path_id, run};
use crate::http::json::StrictJson;
use crate::http::problem::Problem;
use crate::http::{AppState, RequestMeta};

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/reversals",
    tag = "ingest",
    summary = "Reverse a recorded transaction, in full or in part",
    request_body = crate::http::openapi::correction_schemas::ReversalBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
pub async fn reverse_transaction(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<ReverseTransaction>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::ReverseTransaction(body), meta).await?;
    created(&id, outcome, None)
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/payment-returns",
    tag = "ingest",
    summary = "Record that a payment came back unpaid",
    request_body = crate::http::openapi::correction_schemas::PaymentReturnBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
pub async fn return_payment(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<ReturnPayment>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::ReturnPayment(body), meta).await?;
    created(&id, outcome, None)
}

#[utoipa::path(
    post,
    path = "/v1/customers/{customer_id}/statement-corrections",
    tag = "ingest",
    summary = "Correct an issued statement's figures",
    request_body = crate::http::openapi::correction_schemas::StatementCorrectionBody,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id")
    ),
    responses(
        (status = 201, description = "Recorded (or a repeat, answered as the first time, with `Idempotent-Replayed: true`)", body = crate::http::ingest::Recorded, headers(("Idempotent-Replayed" = String, description = "`true` when the request repeated a fact already stored (nothing new was stored)"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
pub async fn correct_statement(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<CorrectStatement>,
) -> Result<Response, Problem> {
    let id = path_id(&raw)?;
    let outcome = run(&state, &id, CustomerCommand::CorrectStatement(body), meta).await?;
    created(&id, outcome, None)
}
