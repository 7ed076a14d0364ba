//! The fake's control surface under `/_fake/…`, for people running it from
//! the command line (`early-risk fake-whatsapp`) and driving a local
//! end-to-end run: inject errors, open an outage window, slow answers down,
//! and read what was "sent". Tests use the same operations on the handle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::state::{lock, Shared};

/// `/_fake/…` routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_fake/messages", get(messages))
        .route("/_fake/fail", post(fail))
        .route("/_fake/outage", post(outage).delete(end_outage))
        .route("/_fake/delay", post(delay))
        .with_state(shared)
}

async fn messages(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let inner = lock(&shared.inner);
    let list: Vec<_> = inner
        .messages
        .iter()
        .map(|m| {
            json!({"wamid": m.wamid, "to": m.to, "template": m.template,
                   "language": m.language, "params": m.params,
                   "callback_data": m.callback_data})
        })
        .collect();
    Json(json!({ "count": list.len(), "messages": list }))
}

/// `{"code": 130429, "count": 10}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fail {
    code: i64,
    count: usize,
}

async fn fail(State(shared): State<Arc<Shared>>, Json(f): Json<Fail>) -> Response {
    if f.count > 100_000 {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "count must be at most 100000",
        )
            .into_response();
    }
    let mut inner = lock(&shared.inner);
    for _ in 0..f.count {
        inner.injected.push_back(f.code);
    }
    (StatusCode::NO_CONTENT, ()).into_response()
}

/// `{"seconds": 30}`: every send fails with code 2 (HTTP 503) until then.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outage {
    seconds: u64,
}

async fn outage(State(shared): State<Arc<Shared>>, Json(o): Json<Outage>) -> StatusCode {
    lock(&shared.inner).down_until = Some(Instant::now() + Duration::from_secs(o.seconds));
    StatusCode::NO_CONTENT
}

async fn end_outage(State(shared): State<Arc<Shared>>) -> StatusCode {
    let mut inner = lock(&shared.inner);
    inner.down_until = None;
    inner.down = false;
    StatusCode::NO_CONTENT
}

/// `{"ms": 3000}`: answer accepted sends that much later.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delay {
    ms: u64,
}

async fn delay(State(shared): State<Arc<Shared>>, Json(d): Json<Delay>) -> StatusCode {
    lock(&shared.inner).response_delay = Duration::from_millis(d.ms);
    StatusCode::NO_CONTENT
}
