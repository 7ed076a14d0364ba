//! The HTTP API (axum): routes, shared state and cross-cutting layers.
//!
//! # Layout
//! - `problem`: RFC 9457 errors; `json`: the strict body extractor.
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
pub mod params;
pub mod problem;
pub mod security;
pub mod webhooks;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderName;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use commands::notifier::Notifier;
use commands::{CommandBus, Metadata};
use domain::audit_trail::AuditTrail;
use domain::login::Login;
use domain::Customer;
use projections::lag::LagTracker;
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub pool: PgPool,
    /// Customer commands.
    pub customers: CommandBus<Customer>,
    /// Wakes readers in this process after commits.
    pub notifier: Arc<Notifier>,
    /// Commit-to-projected latencies of the runners in this process.
    pub lag: Arc<LagTracker>,
    /// WhatsApp webhooks, when this process receives them.
    pub webhooks: Option<Arc<webhooks::WebhookState>>,
    /// Sign-in streams, one per phone.
    pub logins: CommandBus<Login>,
    /// Issues and checks access tokens.
    pub tokens: Arc<crate::auth::Tokens>,
    /// Hashes and seals one-time codes.
    pub otp_keys: alerts::otp::OtpKeys,
    /// Demo mode: the local inbox is readable without a token.
    pub demo: bool,
    /// Templates for manual alerts.
    pub alert_policy: alerts::AlertPolicy,
    /// Audit reads, one trail per reader.
    pub audit_trails: CommandBus<AuditTrail>,
    /// Models by version from the registry, for replays.
    pub audit_models: Arc<::audit::models::ModelCache>,
    /// Turns for recording on each reader's audit trail.
    pub audit_locks: Arc<audit::trail::TrailLocks>,
    /// CORS origins and sign-in rate (see [`security`]).
    pub security: security::SecuritySettings,
    /// Sign-in rate limiters per client.
    pub sign_in: Arc<security::SignInLimits>,
    /// How far ahead of the server's clock a reported fact may be dated
    /// (`MAX_FUTURE_SKEW`).
    pub max_future_skew: chrono::Duration,
    /// HTTP requests and their latency in this process (for `/metrics`).
    pub http_metrics: Arc<metrics::HttpMetrics>,
}

impl AppState {
    /// State over a migrated database.
    pub fn new(pool: PgPool) -> Self {
        let notifier = Notifier::start(pool.clone());
        let store = commands::PgEventStore::new(pool.clone()).with_notifier(notifier.clone());
        let customers = CommandBus::new(store);
        let logins = CommandBus::new(
            commands::PgEventStore::new(pool.clone()).with_notifier(notifier.clone()),
        );
        let audit_trails = CommandBus::new(
            commands::PgEventStore::new(pool.clone()).with_notifier(notifier.clone()),
        );
        // Until real settings are given, nobody can obtain a token and codes
        // are keyed with a throwaway secret.
        let throwaway = uuid::Uuid::new_v4();
        Self {
            pool,
            customers,
            notifier,
            lag: Arc::new(LagTracker::default()),
            webhooks: None,
            logins,
            tokens: Arc::new(crate::auth::Tokens::unusable()),
            otp_keys: alerts::otp::OtpKeys::derive(throwaway.as_bytes()),
            demo: false,
            alert_policy: alerts::AlertPolicy::default(),
            audit_trails,
            audit_models: Arc::new(::audit::models::ModelCache::new()),
            audit_locks: Arc::default(),
            security: security::SecuritySettings::default(),
            sign_in: Arc::new(security::SignInLimits::new(
                &security::SecuritySettings::default(),
            )),
            max_future_skew: clock::DEFAULT_MAX_FUTURE_SKEW,
            http_metrics: Arc::default(),
        }
    }

    /// How far ahead of the clock a reported fact may be dated.
    pub fn with_max_future_skew(mut self, skew: chrono::Duration) -> Self {
        self.max_future_skew = skew;
        self
    }

    /// CORS origins and sign-in rate limits.
    pub fn with_security(mut self, settings: security::SecuritySettings) -> Self {
        self.sign_in = Arc::new(security::SignInLimits::new(&settings));
        self.security = settings;
        self
    }

    /// The alert templates admins' manual alerts use.
    pub fn with_alert_policy(mut self, policy: alerts::AlertPolicy) -> Self {
        self.alert_policy = policy;
        self
    }

    /// Tokens and code keys from the auth settings.
    pub fn with_auth(mut self, settings: &crate::auth::AuthSettings) -> Self {
        self.tokens = Arc::new(crate::auth::Tokens::new(settings));
        self.otp_keys = alerts::otp::OtpKeys::derive(settings.secret());
        self
    }

    /// Demo mode (see [`AppState::demo`]).
    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// Receive WhatsApp webhooks (and, in local mode, show the inbox).
    pub fn with_webhooks(mut self, webhooks: webhooks::WebhookState) -> Self {
        self.webhooks = Some(Arc::new(webhooks));
        self
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");

/// The whole application.
pub fn router(state: AppState) -> Router {
    let local_mode = state
        .webhooks
        .as_ref()
        .is_some_and(|w| w.local_inbox.is_some());
    use crate::auth::Role;
    let guard =
        |roles: &'static [Role]| from_fn_with_state((state.clone(), roles), crate::auth::require);
    let inbox_public = state.demo;
    let limit = |route| from_fn_with_state((state.sign_in.clone(), route), security::limit_sign_in);
    let cors = security::cors(&state.security);
    Router::new()
        .merge(ingest::router().route_layer(guard(&[Role::Ingest, Role::Admin])))
        .merge(me::router().route_layer(guard(&[Role::Customer])))
        .merge(admin::router().route_layer(guard(&[Role::Admin])))
        .merge(audit::router().route_layer(guard(&[Role::Auditor])))
        .merge(health::router())
        .merge(crate::auth::staff::router().route_layer(limit(security::SignInRoute::Login)))
        .merge(crate::auth::otp::router().route_layer(limit(security::SignInRoute::Otp)))
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
