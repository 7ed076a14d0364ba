//! The fake's HTTP surface: `POST /{version}/{phone_id}/messages`.
//!
//! Checks run in the order the real API appears to apply them: availability,
//! token, injected failures, request shape, template registry, throughput,
//! then the per-recipient pair limit.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::callbacks;
use super::state::{lock, RecordedMessage, Shared};
use crate::model::{
    AcceptedMessage, ApiError, Contact, ErrorData, ErrorEnvelope, SendRequest, SendResponse,
};

/// The router, with state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{version}/{phone_id}/messages", post(send_message))
        .with_state(shared.clone())
        .merge(super::control::router(shared))
}

/// HTTP status the real API uses for a code (decisions use the code).
fn http_status_for(code: i64) -> StatusCode {
    match code {
        190 => StatusCode::UNAUTHORIZED,
        10 | 200..=299 => StatusCode::FORBIDDEN,
        1 | 131000 => StatusCode::INTERNAL_SERVER_ERROR,
        2 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn title_for(code: i64) -> &'static str {
    match code {
        190 => "Invalid OAuth access token",
        2 => "Service temporarily unavailable",
        100 => "Invalid parameter",
        130429 => "Rate limit hit",
        131056 => "(Business Account, Consumer Account) pair rate limit hit",
        131026 => "Message undeliverable",
        132000 => "Number of parameters does not match the expected number of params",
        132001 => "Template name does not exist in the translation",
        _ => "Error",
    }
}

/// A Cloud API error response for `code`.
pub(crate) fn api_error(code: i64, details: &str) -> Response {
    let body = ErrorEnvelope {
        error: ApiError {
            message: format!("(#{code}) {}", title_for(code)),
            kind: "OAuthException".into(),
            code,
            error_data: Some(ErrorData {
                messaging_product: "whatsapp".into(),
                details: details.into(),
            }),
            fbtrace_id: Some("AFakeTraceId".into()),
        },
    };
    (http_status_for(code), Json(body)).into_response()
}

fn bearer_ok(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == expected)
}

/// Body and button parameter texts of a request.
fn params_of(req: &SendRequest) -> (Vec<String>, Vec<Vec<String>>) {
    let mut body = Vec::new();
    let mut buttons = Vec::new();
    for c in &req.template.components {
        let texts: Vec<String> = c.parameters.iter().map(|p| p.text.clone()).collect();
        match c.kind.as_str() {
            "body" => body.extend(texts),
            "button" => buttons.push(texts),
            _ => {}
        }
    }
    (body, buttons)
}

async fn send_message(
    State(shared): State<Arc<Shared>>,
    Path((_version, phone_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &shared.config;
    {
        let mut inner = lock(&shared.inner);
        if inner.is_down(Instant::now()) {
            return api_error(2, "Service temporarily unavailable (fake outage)");
        }
        if !bearer_ok(&headers, &config.token) {
            return api_error(190, "Error validating access token");
        }
        if let Some(code) = inner.injected.pop_front() {
            return api_error(code, "injected failure");
        }
    }
    if phone_id != config.phone_number_id {
        return api_error(100, "Unknown phone number id");
    }
    let raw: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return api_error(100, &format!("Malformed JSON: {e}")),
    };
    let req: SendRequest = match serde_json::from_value(raw.clone()) {
        Ok(r) => r,
        Err(e) => return api_error(100, &format!("Invalid request: {e}")),
    };
    if req.messaging_product != "whatsapp" || req.kind != "template" {
        return api_error(
            100,
            "Only whatsapp template messages are supported by the fake",
        );
    }
    let Some(approved) = config
        .templates
        .iter()
        .find(|t| t.name == req.template.name && t.language == req.template.language.code)
    else {
        return api_error(132001, "template name does not exist in the translation");
    };
    // Copy-code templates are authentication templates; the rest utility.
    let category = if approved.copy_code {
        "authentication"
    } else {
        "utility"
    };
    let (body_params, buttons) = params_of(&req);
    let buttons_ok = if approved.copy_code {
        buttons.len() == 1 && buttons[0].len() == 1
    } else {
        buttons.is_empty()
    };
    if body_params.len() != approved.body_params || !buttons_ok {
        return api_error(
            132000,
            "number of parameters does not match the expected number",
        );
    }
    let now = Instant::now();
    let (wamid, plan, delay) = {
        let mut inner = lock(&shared.inner);
        if !inner.throughput_ok(config, now) {
            return api_error(130429, "throughput exceeded for this business number");
        }
        if !inner.take_recipient_token(config, &req.to, now) {
            return api_error(131056, "pair rate limit hit");
        }
        inner.record_throughput(now);
        let wamid = inner.next_wamid();
        inner.messages.push(RecordedMessage {
            wamid: wamid.clone(),
            to: req.to.clone(),
            template: req.template.name.clone(),
            language: req.template.language.code.clone(),
            params: body_params,
            callback_data: req.biz_opaque_callback_data.clone(),
            received_at: std::time::SystemTime::now(),
            raw,
        });
        let plan = callbacks::plan(config, &mut inner, &req.to);
        (wamid, plan, inner.response_delay)
    };
    let wa_id: String = req.to.chars().filter(char::is_ascii_digit).collect();
    if let Some(target) = &config.webhook {
        callbacks::spawn(
            shared.clone(),
            target.clone(),
            callbacks::Tracked {
                wamid: wamid.clone(),
                wa_id: wa_id.clone(),
                callback_data: req.biz_opaque_callback_data.clone(),
                category,
            },
            plan,
        );
    }
    // A slow API: the message is accepted (and its webhooks are on their
    // way) but the answer comes late, so a client with a short timeout never
    // learns the outcome.
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let ok = SendResponse {
        messaging_product: "whatsapp".into(),
        contacts: vec![Contact {
            input: req.to,
            wa_id,
        }],
        messages: vec![AcceptedMessage {
            id: wamid,
            message_status: Some("accepted".into()),
        }],
    };
    (StatusCode::OK, Json(ok)).into_response()
}
