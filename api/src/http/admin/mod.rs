//! The admin API (role `admin`): the portfolio, the top-risk list, one
//! customer's full picture, and manual alerts.
//!
//! # Layout
//! - `portfolio`: bands, exposure, band mix over time, migrations, funnel.
//! - `customers`: the filtered, sorted, keyset-paged risk list.
//! - `detail`: one customer, with paged transactions and statements.
//! - `alerts`: raising an alert by hand.

pub mod activity;
pub mod alerts;
pub mod customers;
pub mod detail;
pub mod portfolio;
pub mod risk;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The admin routes (guarded by the caller).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/portfolio", get(portfolio::portfolio))
        .route("/v1/admin/customers", get(customers::list))
        .route("/v1/admin/customers/{customer_id}", get(detail::detail))
        .route(
            "/v1/admin/customers/{customer_id}/transactions",
            get(detail::transactions_page),
        )
        .route(
            "/v1/admin/customers/{customer_id}/statements",
            get(detail::statements_page),
        )
        .route(
            "/v1/admin/customers/{customer_id}/alerts",
            post(alerts::raise),
        )
}
