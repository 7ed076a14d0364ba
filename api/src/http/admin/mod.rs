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
pub mod timeline;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The admin routes (guarded by the caller).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/portfolio", get(portfolio::show_portfolio))
        .route("/v1/admin/customers", get(customers::list_customers))
        .route(
            "/v1/admin/customers/{customer_id}",
            get(detail::show_customer),
        )
        .route(
            "/v1/admin/customers/{customer_id}/transactions",
            get(detail::list_transactions),
        )
        .route(
            "/v1/admin/customers/{customer_id}/statements",
            get(detail::list_statements),
        )
        .route(
            "/v1/admin/customers/{customer_id}/alerts",
            post(alerts::raise_alert),
        )
}
