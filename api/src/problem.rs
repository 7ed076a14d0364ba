//! RFC 9457 problem details: the one error shape every endpoint answers with.
//! A 5xx is logged once here, with its cause, and says nothing internal to
//! the caller.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::CustomerError;
use serde::Serialize;
use store::events::StoreError;
use store::CommandError;

/// One field that is wrong, by its JSON path (`items[3].amount_minor`).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the offending field (`.` for the whole body).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// A problem-details response.
/// RFC 9457 problem details (`application/problem+json`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, human summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The offending fields, when the problem is about fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds after which a retry may succeed (also sent as `Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem of `status` with a kind slug and title.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:early-risk:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 422: values that break the rules, field by field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                detail,
            )
        }
    }

    /// 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// 404 for an unknown resource.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 503 with a retry hint: the database is unavailable.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(2),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                detail,
            )
        }
    }

    /// 500: logs the cause once, tells the caller nothing internal.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the request could not be completed; it has been logged",
        )
    }

    /// The problem for a refused customer command.
    pub fn from_customer(e: &CustomerError) -> Self {
        let mut p = match e {
            CustomerError::NotRegistered => return Self::not_found("customer is not registered"),
            CustomerError::UnknownAlert { .. } => return Self::not_found(e.to_string()),
            CustomerError::AlreadyRegistered | CustomerError::IdReused { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict", e.to_string())
            }
            CustomerError::Invalid { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                e.to_string(),
            ),
        };
        if let (Some(field), CustomerError::Invalid { message, .. }) = (e.field(), e) {
            p.errors.push(FieldError {
                field: field.into(),
                message: message.clone(),
            });
        } else if let Some(field) = e.field() {
            p.errors.push(FieldError {
                field: field.into(),
                message: e.to_string(),
            });
        }
        p
    }

    /// Prefixes every field path (for batch items: `items[3].`).
    pub fn within(mut self, prefix: &str) -> Self {
        for e in &mut self.errors {
            e.field = if e.field == "." {
                prefix.trim_end_matches('.').to_owned()
            } else {
                format!("{prefix}{}", e.field)
            };
        }
        self
    }
}

impl From<CommandError<CustomerError>> for Problem {
    fn from(e: CommandError<CustomerError>) -> Self {
        match e {
            CommandError::Rejected(e) => Self::from_customer(&e),
            CommandError::Conflict => Self::new(
                StatusCode::CONFLICT,
                "concurrent-update",
                "Conflict",
                "the customer was changed concurrently; retrying the request is safe",
            ),
            CommandError::Store(e) => Self::from(e),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Database(db) if is_unavailable(db) => {
                outage_detected(&e);
                Self::unavailable(
                    "the database is unavailable; the outcome of a write is unknown: \
                     retry shortly with the same id",
                )
            }
            _ => Self::internal(&e),
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        Self::from(StoreError::Database(e))
    }
}

/// When the outage was last logged (seconds since the epoch).
static OUTAGE_LOGGED_AT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Logs a database outage once, where it is detected, and at most once a
/// minute while it lasts: clients ride an outage through with retries, and
/// a line per refused request would page an operator for each.
fn outage_detected(e: &StoreError) {
    use std::sync::atomic::Ordering;
    let now = chrono::Utc::now().timestamp();
    let last = OUTAGE_LOGGED_AT.load(Ordering::Relaxed);
    if now - last >= 60
        && OUTAGE_LOGGED_AT
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::error!(error = %e, "database unavailable: answering 503 with Retry-After until it is back");
    } else {
        tracing::debug!(error = %e, "database unavailable");
    }
}

/// Whether an error means "the database cannot be reached right now".
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => true,
        // 57P01 admin shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c == "57P01" || c == "57P03"),
        _ => false,
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let mut resp = (status, axum::Json(self)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = retry {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}
