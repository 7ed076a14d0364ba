//! `GET /healthz` (the process is up), `GET /readyz` (the database answers,
//! every migration is applied, and how each projection is doing) and
//! `GET /metrics` (Prometheus text, see [`super::metrics`]).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::problem::Problem;
use super::AppState;

/// How long `/readyz` waits for the database before answering 503.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(500);

/// Health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(check_liveness))
        .route("/readyz", get(check_readiness))
        .route("/metrics", get(scrape_metrics))
}

/// `GET /healthz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    summary = "Liveness",
    responses(
        (status = 200, description = "The process is up", body = Health)
    )
)]
async fn check_liveness() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// The answer to `/readyz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, or `degraded` when a projection stopped on an event it
    /// cannot apply (ingest goes on; its views go stale).
    pub status: String,
    /// Each projection's position and health.
    pub projections: Vec<ProjectionHealth>,
}

/// One projection in `/readyz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectionHealth {
    /// Projection name.
    pub name: String,
    /// Committed events not yet projected (counted up to 1,000,000).
    pub events_behind: i64,
    /// Events applied since it was created or rebuilt.
    pub events_applied: i64,
    /// Where it is in the log (`tx_id`, `position`).
    #[schema(value_type = Object)]
    pub checkpoint: store::Checkpoint,
    /// Why it stopped, if it did.
    pub last_error: Option<String>,
    /// Commit-to-projected latency in this process (none before any).
    #[schema(value_type = Option<Object>)]
    pub lag: Option<projections::lag::LagSummary>,
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    summary = "Readiness: database, migrations, projections",
    responses(
        (status = 200, description = "Ready or degraded", body = Readiness),
        crate::http::openapi::problems::Unavailable
    )
)]
async fn check_readiness(State(state): State<AppState>) -> Response {
    // A probe must get its answer within its own timeout (often 1 s) even
    // while the database is down, not after the pool's 5 s acquire timeout.
    let ready = tokio::time::timeout(READY_WITHIN, async {
        store::db::check_ready(&state.pool)
            .await
            .map_err(|e| Problem::unavailable(e.to_string()))?;
        projections::runner::statuses(&state.pool)
            .await
            .map_err(Problem::from)
    })
    .await;
    let projections = match ready {
        Ok(Ok(p)) => p,
        Ok(Err(p)) => return p.into_response(),
        Err(_) => {
            return Problem::unavailable(format!(
                "the database did not answer within {} ms",
                READY_WITHIN.as_millis()
            ))
            .into_response()
        }
    };
    // A stopped projection does not stop ingest, but its views are going
    // stale: say so loudly without taking the API out of service.
    let failed = projections.iter().any(|p| p.last_error.is_some());
    let detail = projections
        .into_iter()
        .map(|p| ProjectionHealth {
            lag: state.lag.summary(&p.name),
            name: p.name,
            events_behind: p.events_behind,
            events_applied: p.events_applied,
            checkpoint: p.checkpoint,
            last_error: p.last_error,
        })
        .collect();
    let status = if failed { "degraded" } else { "ready" };
    (
        StatusCode::OK,
        Json(Readiness {
            status: status.to_owned(),
            projections: detail,
        }),
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")
    )
)]
async fn scrape_metrics(State(state): State<AppState>) -> Response {
    match super::metrics::render(&state).await {
        Ok(out) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response(),
        Err(p) => p.into_response(),
    }
}
