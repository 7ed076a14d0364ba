//! `POST /v1/transactions:batch` and `POST /v1/corrections:batch`: up to
//! [`MAX_BATCH_ITEMS`] transactions (or corrections) of any customers in one
//! request, each answered on its own (recorded, a repeat, or refused with its
//! problem); a refused item stores nothing and does not stop the others.

use axum::extract::State;
use axum::Json;
use domain::customer::Addressed;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::batch::ItemOutcome;

use super::MAX_BATCH_ITEMS;
use crate::http::json::StrictJson;
use crate::http::problem::Problem;
use crate::http::{AppState, RequestMeta};
use crate::wire;

/// The request body: the items, each a transaction with its customer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    items: Vec<Value>,
}

/// One item's answer in a batch.
#[derive(Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ItemResult {
    /// Stored now.
    Recorded {
        /// Item index in the request.
        index: usize,
        /// The customer.
        customer_id: String,
        /// Position in the customer's stream.
        sequence: i64,
    },
    /// Stored before (or earlier in this batch): answered as that time.
    Repeated {
        /// Item index in the request.
        index: usize,
        /// The customer.
        customer_id: String,
        /// Position of the earlier fact.
        sequence: i64,
    },
    /// Refused; nothing stored for this item.
    Rejected {
        /// Item index in the request.
        index: usize,
        /// Why.
        #[schema(value_type = crate::http::problem::Problem)]
        problem: Value,
    },
}

/// The answer to a batch.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchResult {
    /// Items stored now.
    pub recorded: usize,
    /// Items that repeated stored facts.
    pub repeated: usize,
    /// Items refused.
    pub rejected: usize,
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
}

#[utoipa::path(
    post,
    path = "/v1/transactions:batch",
    tag = "ingest",
    summary = "Record up to 10,000 transactions in one commit",
    request_body = crate::http::openapi::schemas::BatchBodyDoc,
    responses(
        (status = 200, description = "A result per item", body = BatchResult),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::Invalid,
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn record_transactions_batch(
    State(state): State<AppState>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<BatchBody>,
) -> Result<Json<BatchResult>, Problem> {
    record_batch(&state, meta, body, wire::parse_transaction_item).await
}

#[utoipa::path(
    post,
    path = "/v1/corrections:batch",
    tag = "ingest",
    summary = "Record up to 10,000 corrections (reversals, returned payments, corrected statements) in one commit",
    request_body = crate::http::openapi::correction_schemas::CorrectionsBatchDoc,
    responses(
        (status = 200, description = "A result per item", body = BatchResult),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::Invalid,
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn record_corrections_batch(
    State(state): State<AppState>,
    meta: RequestMeta,
    StrictJson(body): StrictJson<BatchBody>,
) -> Result<Json<BatchResult>, Problem> {
    record_batch(&state, meta, body, wire::parse_correction_item).await
}

async fn record_batch(
    state: &AppState,
    meta: RequestMeta,
    body: BatchBody,
    parse: fn(Value) -> Result<Addressed, Problem>,
) -> Result<Json<BatchResult>, Problem> {
    if body.items.is_empty() || body.items.len() > MAX_BATCH_ITEMS {
        return Err(Problem::field(
            "items",
            format!("must hold 1 to {MAX_BATCH_ITEMS} items"),
        ));
    }
    let count = body.items.len();
    let mut results: Vec<Option<ItemResult>> = (0..count).map(|_| None).collect();
    let mut accepted = Vec::new();
    for (index, item) in body.items.into_iter().enumerate() {
        let parsed = parse(item).and_then(|a| {
            crate::http::clock::not_from_the_future(&a.command, state.max_future_skew).map(|()| a)
        });
        match parsed {
            Ok(a) => accepted.push((index, a)),
            Err(p) => results[index] = Some(rejected(index, p.within(&format!("items[{index}].")))),
        }
    }
    let (indices, items): (Vec<usize>, Vec<(String, Addressed)>) = accepted
        .into_iter()
        .map(|(i, a)| (i, (a.customer_id.to_string(), a)))
        .unzip();
    let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
    let outcomes = state.customers.execute_batch(items, &meta.0).await?;
    for ((index, customer_id), outcome) in indices.into_iter().zip(ids).zip(outcomes) {
        results[index] = Some(match outcome {
            ItemOutcome::Recorded(c) => ItemResult::Recorded {
                index,
                customer_id,
                sequence: c.sequence,
            },
            ItemOutcome::Repeat { sequence } => ItemResult::Repeated {
                index,
                customer_id,
                sequence,
            },
            ItemOutcome::Unchanged => {
                rejected(index, Problem::internal(&"an item recorded nothing"))
            }
            ItemOutcome::Rejected(e) => rejected(
                index,
                Problem::from_customer(&e).within(&format!("items[{index}].")),
            ),
        });
    }
    let results: Vec<ItemResult> = results.into_iter().flatten().collect();
    let count_of = |f: fn(&ItemResult) -> bool| results.iter().filter(|r| f(r)).count();
    Ok(Json(BatchResult {
        recorded: count_of(|r| matches!(r, ItemResult::Recorded { .. })),
        repeated: count_of(|r| matches!(r, ItemResult::Repeated { .. })),
        rejected: count_of(|r| matches!(r, ItemResult::Rejected { .. })),
        results,
    }))
}

fn rejected(index: usize, p: Problem) -> ItemResult {
    let problem = serde_json::to_value(&p).unwrap_or(Value::Null);
    ItemResult::Rejected { index, problem }
}
