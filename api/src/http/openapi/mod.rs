//! The OpenAPI 3.1 description of the API, generated from the handlers'
//! annotations (utoipa), served at `/openapi.json`, and browsable at `/docs`
//! with Swagger UI served from files compiled into the binary (no CDN).
//!
//! [`OPERATIONS`] lists every routed operation; a test checks the spec and
//! the router agree in both directions.

pub mod constraints;
pub mod correction_schemas;
pub mod limits;
pub mod problems;
pub mod schemas;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;
use constraints::ValueConstraints;
use limits::BodyLimitResponses;

/// Every (method, path) the router serves, except the docs themselves.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("post", "/v1/customers"),
    ("post", "/v1/customers/{customer_id}/credit-limit"),
    ("post", "/v1/customers/{customer_id}/transactions"),
    ("post", "/v1/customers/{customer_id}/statements"),
    ("post", "/v1/customers/{customer_id}/payments"),
    ("post", "/v1/customers/{customer_id}/days-past-due"),
    ("post", "/v1/transactions:batch"),
    ("post", "/v1/customers/{customer_id}/reversals"),
    ("post", "/v1/customers/{customer_id}/payment-returns"),
    ("post", "/v1/customers/{customer_id}/statement-corrections"),
    ("post", "/v1/corrections:batch"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/otp/request"),
    ("post", "/v1/auth/otp/verify"),
    ("get", "/v1/me"),
    ("get", "/v1/admin/portfolio"),
    ("get", "/v1/admin/customers"),
    ("get", "/v1/admin/customers/{customer_id}"),
    ("get", "/v1/admin/customers/{customer_id}/transactions"),
    ("get", "/v1/admin/customers/{customer_id}/statements"),
    ("post", "/v1/admin/customers/{customer_id}/alerts"),
    ("get", "/v1/webhooks/whatsapp"),
    ("post", "/v1/webhooks/whatsapp"),
    ("get", "/v1/local/whatsapp/messages"),
    ("get", "/v1/audit/customers/{customer_id}/decisions"),
    ("get", "/v1/audit/customers/{customer_id}/state"),
    ("get", "/v1/audit/decisions/{decision_id}"),
    ("post", "/v1/audit/decisions/{decision_id}/replay"),
];

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "HS256 token from POST /v1/auth/login (staff) or /v1/auth/otp/verify (customers)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Early Risk Signals API",
        description = "Credit-card early warning: ingest, risk, alerts, admin and customer views. \
                       Errors are RFC 9457 problem details naming the offending field or parameter.",
        license(name = "Apache-2.0")
    ),
    paths(
        super::ingest::register_customer,
        super::ingest::change_credit_limit,
        super::ingest::record_transaction,
        super::ingest::issue_statement,
        super::ingest::record_payment,
        super::ingest::report_days_past_due,
        super::ingest::batch::record_transactions_batch,
        super::ingest::corrections::reverse_transaction,
        super::ingest::corrections::return_payment,
        super::ingest::corrections::correct_statement,
        super::ingest::batch::record_corrections_batch,
        super::health::check_liveness,
        super::health::check_readiness,
        super::health::scrape_metrics,
        super::sign_in::sign_in_staff,
        super::otp::request_code,
        super::otp::verify_code,
        super::me::show_own_page,
        super::admin::portfolio::show_portfolio,
        super::admin::customers::list_customers,
        super::admin::detail::show_customer,
        super::admin::detail::list_transactions,
        super::admin::detail::list_statements,
        super::admin::alerts::raise_alert,
        super::webhooks::verify_subscription,
        super::webhooks::receive_statuses,
        super::webhooks::list_local_messages,
        super::audit::handlers::list_decisions,
        super::audit::handlers::show_state_as_of,
        super::audit::handlers::show_decision,
        super::audit::handlers::replay_decision,
    ),
    modifiers(&BearerAuth, &BodyLimitResponses, &ValueConstraints),
    tags(
        (name = "ingest", description = "The bank's systems write customers and card activity (roles ingest, admin)"),
        (name = "auth", description = "Staff and customer sign-in"),
        (name = "customer", description = "A customer's own data (role customer)"),
        (name = "admin", description = "Portfolio and customers (role admin)"),
        (name = "audit", description = "Decision records, replay and state as of any moment, from the log (role auditor; every read is recorded)"),
        (name = "whatsapp", description = "WhatsApp webhooks and the local adapter"),
        (name = "health", description = "Liveness, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The spec as JSON (3.1).
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `/openapi.json` and `/docs` (public).
pub fn router() -> Router<AppState> {
    let json = spec();
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json(json.clone()) }),
        )
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json")))
}
