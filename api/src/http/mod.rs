//! The HTTP API (axum): routes, shared state and cross-cutting layers.
//!
//! # Layout
//! - `state`: [`AppState`], what every handler can reach.
//! - `problem` (re-exported from [`crate::problem`]): RFC 9457 errors;
//!   `json`: the strict body extractor.
//! - `sign_in`: staff password sign-in; `otp`: customer sign-in with a
//!   WhatsApp one-time code.
//! - `ingest`: the bank's systems write customers and their card activity.
//! - `health`: liveness and readiness.
//! - `webhooks`: WhatsApp status webhooks and the local adapter's inbox.
//! - `me`: the signed-in customer's own picture.
//! - `admin`: portfolio, top risks, customer drill-down, manual alerts.
//! - `audit`: decision records, replay, state as of a moment (role
//!   `auditor`; every read recorded on the auditor's trail first).
//! - `openapi`: the OpenAPI 3.1 spec at `/openapi.json`, Swagger UI at `/docs`.
//! - `params`, `cursor`, `freshness`: query checks, keyset cursors, and the
//!   projection positions (and ETags) every read reports.
//! - `security`: security headers, CORS, header and body limits, sign-in
//!   rate limits.
//!
//! Every router declares the roles it admits (see [`crate::auth::guard`]);
//! only health, sign-in and the signed WhatsApp webhook are public.

pub mod admin;
pub mod audit;
pub mod clock;
pub mod cursor;
pub mod freshness;
pub mod health;
pub mod ingest;
pub mod json;
pub mod me;
pub mod metrics;
pub mod openapi;
pub mod otp;
pub mod params;
pub mod security;
pub mod sign_in;
pub mod snapshot;
pub mod state;
pub mod webhooks;

pub use state::AppState;

/// RFC 9457 problem answers (kept at the crate root: the route guard in
/// `auth` answers with them too).
pub use crate::problem;

use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderName;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use store::Metadata;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

/// The whole application.
pub fn router(state: AppState) -> Router {
    let local_mode = state
        .webhooks
        .as_ref()
        .is_some_and(|w| w.local_inbox.is_some());
    use crate::auth::Role;
    let guard = |roles: &'static [Role]| {
        from_fn_with_state((state.tokens.clone(), roles), crate::auth::require)
    };
    let inbox_public = state.demo;
    let limit = |route| from_fn_with_state((state.sign_in.clone(), route), security::limit_sign_in);
    let cors = security::cors(&state.security);
    Router::new()
        .merge(ingest::router().route_layer(guard(&[Role::Ingest, Role::Admin])))
        .merge(me::router().route_layer(guard(&[Role::Customer])))
        .merge(admin::router().route_layer(guard(&[Role::Admin])))
        .merge(audit::router().route_layer(guard(&[Role::Auditor])))
        .merge(health::router())
        .merge(sign_in::router().route_layer(limit(security::SignInRoute::Login)))
        .merge(otp::router().route_layer(limit(security::SignInRoute::Otp)))
        .merge(webhooks::router())
        .merge(openapi::router())
        .merge(crate::console::router())
        .merge(match (local_mode, inbox_public) {
            (false, _) => Router::new(),
            (true, true) => webhooks::inbox_router(),
            (true, false) => webhooks::inbox_router().route_layer(guard(&[Role::Admin])),
        })
        // Counted under the route template, guards' refusals included.
        .route_layer(from_fn_with_state(
            state.http_metrics.clone(),
            metrics::track,
        ))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        // Inner routers' own limits (ingest, webhooks) override this one.
        .layer(DefaultBodyLimit::max(security::DEFAULT_BODY_LIMIT))
        .layer(tower::util::option_layer(cors))
        .layer(from_fn(security::header_limits))
        .layer(from_fn(security::headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // A 5xx is logged once where it is detected (a 500's cause in
        // `Problem::internal`, an outage where it is seen), not again here.
        .layer(
            TraceLayer::new_for_http().on_failure(
                tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG),
            ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn unknown_route() -> problem::Problem {
    problem::Problem::not_found("no such route")
}

async fn method_not_allowed() -> problem::Problem {
    problem::Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this route does not accept that method",
    )
}

/// Metadata for the commands a request issues: who and which request.
pub struct RequestMeta(pub Metadata);

fn header_id(parts: &Parts, name: &HeaderName) -> Option<String> {
    let v = parts.headers.get(name)?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let request_id =
            header_id(parts, &REQUEST_ID).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let correlation_id =
            header_id(parts, &CORRELATION_ID).unwrap_or_else(|| request_id.clone());
        let actor = parts
            .extensions
            .get::<crate::auth::Caller>()
            .map_or_else(|| "anonymous".to_owned(), crate::auth::Caller::actor);
        Ok(Self(Metadata {
            actor,
            request_id,
            correlation_id,
            causation_id: None,
        }))
    }
}
