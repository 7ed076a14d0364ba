//! The audit API (role `auditor`): decision records, bit-exact replay, and a
//! customer's state as of any moment — all computed from the event log (and
//! the model registry), never from views. Every read is recorded on the
//! auditor's trail (who, what, when, which request) before it is answered;
//! see [`trail`].
//!
//! The same questions from the command line: `early-risk audit …`
//! (`crate::audit_cli`), which also verifies whole portfolios and the hash
//! chain.

pub mod handlers;
pub mod trail;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The audit routes (guarded by the caller).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/audit/customers/{customer_id}/decisions",
            get(handlers::list_decisions),
        )
        .route(
            "/v1/audit/customers/{customer_id}/state",
            get(handlers::show_state_as_of),
        )
        .route(
            "/v1/audit/decisions/{decision_id}",
            get(handlers::show_decision),
        )
        .route(
            "/v1/audit/decisions/{decision_id}/replay",
            post(handlers::replay_decision),
        )
}
