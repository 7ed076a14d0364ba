//! WhatsApp webhooks: the subscription handshake and signed status updates,
//! plus the local adapter's inbox when no WhatsApp token is configured.
//!
//! A status webhook is verified over its raw bytes (`X-Hub-Signature-256`,
//! constant-time) before anything is parsed; a forged or unsigned one gets
//! 401 and records nothing. Recorded statuses are idempotent, so Meta's
//! retries and duplicates are harmless; a failure a retry can fix answers
//! 503 so that Meta does retry.

use std::collections::HashMap;
use std::sync::Arc;

use alerts::webhook::DeliveryRecorder;
use alerts::{LocalInbox, Secret};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use domain::values::PhoneNumber;

use super::params::Params;
use super::problem::Problem;
use super::AppState;

/// Largest status webhook accepted (Meta batches up to 1,000 statuses).
const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// What the webhook routes need.
#[derive(Clone)]
pub struct WebhookState {
    /// `WHATSAPP_APP_SECRET`; without it every POST is refused.
    pub app_secret: Option<Secret>,
    /// `WHATSAPP_VERIFY_TOKEN`; without it the handshake is refused.
    pub verify_token: Option<Secret>,
    /// Records statuses.
    pub recorder: DeliveryRecorder,
    /// The local adapter's inbox, in local mode.
    pub local_inbox: Option<Arc<LocalInbox>>,
}

/// The webhook routes (public: the signature is the authentication).
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/webhooks/whatsapp",
        get(verify_subscription)
            .post(receive_statuses)
            .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT)),
    )
}

/// The local adapter's inbox (local mode only; public only in demo mode,
/// since it shows one-time codes).
pub fn inbox_router() -> Router<AppState> {
    Router::new().route("/v1/local/whatsapp/messages", get(list_local_messages))
}

fn webhook_state(state: &AppState) -> Result<&WebhookState, Problem> {
    state
        .webhooks
        .as_deref()
        .ok_or_else(|| Problem::unavailable("WhatsApp webhooks are not configured in this process"))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/whatsapp",
    tag = "whatsapp",
    summary = "Webhook subscription handshake",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "Must equal WHATSAPP_VERIFY_TOKEN"),
        ("hub.challenge" = String, Query, description = "Echoed back")
    ),
    responses(
        (status = 200, description = "The challenge, as text", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong verify token", body = crate::http::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn verify_subscription(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let expected = webhook_state(&state)
        .ok()
        .and_then(|w| w.verify_token.as_ref());
    let answer = expected.and_then(|t| {
        whatsapp::webhook::verify_challenge(
            q.get("hub.mode").map(String::as_str),
            q.get("hub.verify_token").map(String::as_str),
            q.get("hub.challenge").map(String::as_str),
            t.expose(),
        )
    });
    match answer {
        Some(challenge) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge,
        )
            .into_response(),
        None => Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "the verify token does not match",
        )
        .into_response(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/whatsapp",
    tag = "whatsapp",
    summary = "Signed delivery-status webhooks (X-Hub-Signature-256)",
    request_body(content = Object, description = "Meta's webhook payload", content_type = "application/json"),
    params(
        ("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC of the raw body with WHATSAPP_APP_SECRET>")
    ),
    responses(
        (status = 200, description = "Recorded", body = alerts::webhook::DeliveryReport),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Invalid,
        crate::http::openapi::problems::Unavailable
    )
)]
async fn receive_statuses(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Over the size limit: a problem like every other refusal (axum's own
    // rejection is plain text).
    let body = match body {
        Ok(b) => b,
        Err(r) => {
            let (slug, title) = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ("too-large", "Body too large")
            } else {
                ("unreadable-body", "Unreadable body")
            };
            return Problem::new(r.status(), slug, title, r.body_text()).into_response();
        }
    };
    let w = match webhook_state(&state) {
        Ok(w) => w,
        Err(p) => return p.into_response(),
    };
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let verified = w.app_secret.as_ref().is_some_and(|s| {
        whatsapp::webhook::verify_signature(s.expose().as_bytes(), &body, signature)
    });
    if !verified {
        tracing::warn!(
            signed = signature.is_some(),
            "whatsapp webhook rejected: bad or missing signature"
        );
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "X-Hub-Signature-256 is missing or does not match the body",
        )
        .into_response();
    }
    let updates = match whatsapp::webhook::parse_statuses(&body) {
        Ok(u) => u,
        Err(e) => return Problem::field(".", e.to_string()).into_response(),
    };
    match w.recorder.record(&updates).await {
        Ok(report) => (StatusCode::OK, Json(report)).into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// The `to` filter: an E.164 number. A `+` sent unencoded in a query string
/// arrives as a space, so that case says how to send it.
fn recipient(raw: &str) -> Result<PhoneNumber, Problem> {
    PhoneNumber::parse(raw).map_err(|m| {
        let hint = if raw.starts_with(' ') {
            " (a `+` in a query string must be sent as %2B, e.g. to=%2B919800000001)"
        } else {
            ""
        };
        super::params::bad_param("to", format!("{m}{hint}"))
    })
}

/// The local inbox.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    /// Newest first.
    pub messages: Vec<alerts::LocalMessage>,
}

#[utoipa::path(
    get,
    path = "/v1/local/whatsapp/messages",
    tag = "whatsapp",
    summary = "Local adapter inbox (local mode only)",
    params(
        ("to" = Option<String>, Query, description = "Only messages to this E.164 phone, with `+` encoded as `%2B` (`to=%2B919800000001`)"),
        ("limit" = Option<i64>, Query, description = "1-500, default 50")
    ),
    responses(
        (status = 200, description = "Messages, newest first", body = InboxPage),
        (status = 400, description = "Unknown or bad query parameter", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        (status = 404, description = "The local adapter is not in use", body = crate::http::problem::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
async fn list_local_messages(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // Checked like every other query: unknown or bad parameters are a 400
    // problem naming them (a typed `Query` rejection would be plain text).
    let answer = || -> Result<Response, Problem> {
        let params = Params::new(q, &["to", "limit"])?;
        let Some(inbox) = state.webhooks.as_ref().and_then(|w| w.local_inbox.clone()) else {
            return Err(Problem::not_found(
                "the local WhatsApp adapter is not in use",
            ));
        };
        let limit = usize::try_from(params.limit(50, 500)?).unwrap_or(50);
        let to = params.text("to").map(recipient).transpose()?;
        let messages = inbox.list(to.as_ref().map(PhoneNumber::as_str), limit);
        Ok(Json(InboxPage { messages }).into_response())
    };
    answer().unwrap_or_else(IntoResponse::into_response)
}
