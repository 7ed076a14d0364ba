//! `POST /v1/admin/customers/{id}/alerts {reason}`: an admin raises an
//! alert now, through the same outbox and dispatcher as escalations. With
//! an `Idempotency-Key` header the alert id is derived from the key, so a
//! retried request raises nothing new (the same key with another reason is
//! a 409).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use domain::customer::{Addressed, AlertCause, CustomerCommand, RaiseAlert};
use domain::values::{CustomerId, ExternalId};
use serde::Deserialize;

use crate::auth::Caller;
use crate::http::json::StrictJson;
use crate::http::params::bad_param;
use crate::http::problem::Problem;
use crate::http::{AppState, RequestMeta};

/// Longest reason accepted.
pub const MAX_REASON: usize = 500;

/// The request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualAlert {
    /// Why, in the admin's words (kept on the record; not sent).
    pub reason: String,
}

const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x1d0c_55aa_7b3e_4c2f_8e61_90ab_cdef_1234);

/// The handler.
/// The answer to a manual alert.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RaisedAlert {
    /// The alert's id.
    pub alert_id: String,
    /// The customer.
    pub customer_id: String,
    /// `raised`.
    pub status: String,
}

#[utoipa::path(
    post,
    path = "/v1/admin/customers/{customer_id}/alerts",
    tag = "admin",
    summary = "Raise a WhatsApp alert now",
    request_body = ManualAlert,
    params(
        ("customer_id" = String, Path, description = "The bank's customer id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key raises nothing new")
    ),
    responses(
        (status = 202, description = "Raised; the dispatcher sends it (a repeat with the same `Idempotency-Key` answers the same, with `Idempotent-Replayed: true`)", body = RaisedAlert, headers(("Idempotent-Replayed" = String, description = "`true` when the same Idempotency-Key raised this alert before"))),
        crate::http::openapi::problems::WriteProblems
    ),
    security(("bearer" = []))
)]
pub async fn raise_alert(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    RequestMeta(meta): RequestMeta,
    StrictJson(body): StrictJson<ManualAlert>,
) -> Result<Response, Problem> {
    let customer_id = CustomerId::parse(&raw).map_err(|m| bad_param("customer_id", m))?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(Problem::field(
            "reason",
            format!("is required, at most {MAX_REASON} characters"),
        ));
    }
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 128)
                .ok_or_else(|| {
                    Problem::field("Idempotency-Key", "must be 1-128 visible characters")
                })?;
            uuid::Uuid::new_v5(&NAMESPACE, format!("{customer_id}\n{k}").as_bytes())
        }
        None => uuid::Uuid::new_v4(),
    };
    let alert_id =
        ExternalId::parse(&format!("man-{}", key.simple())).expect("a uuid is a valid id");
    let policy = &state.alert_policy;
    let command = CustomerCommand::RaiseAlert(Box::new(RaiseAlert {
        alert_id: alert_id.clone(),
        cause: AlertCause::Manual {
            requested_by: caller.subject.clone(),
            reason,
        },
        template: policy.template.clone(),
        fallback: policy.fallback.clone(),
        raised_at: Utc::now(),
        cooldown_seconds: 0,
        decided_at: None,
        max_age_seconds: None,
        withheld_by_budget: None,
    }));
    let addressed = Addressed {
        customer_id: customer_id.clone(),
        command,
    };
    let outcome = state
        .customers
        .execute(customer_id.as_str(), addressed, &meta)
        .await?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(RaisedAlert {
            alert_id: alert_id.to_string(),
            customer_id: customer_id.to_string(),
            status: "raised".to_owned(),
        }),
    )
        .into_response();
    if outcome.recorded.is_empty() {
        // The same Idempotency-Key again: the alert raised the first time.
        response.headers_mut().insert(
            crate::http::ingest::REPLAYED,
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}
