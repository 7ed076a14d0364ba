//! The route guard: each protected router names the roles it admits; the
//! guard checks the bearer token (401 when missing or invalid), the role
//! (403 when not admitted) and leaves the [`Caller`] in the request for
//! handlers (ownership) and for the command metadata (who did it).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use std::sync::Arc;

use super::{Role, Tokens};
use crate::problem::Problem;

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Customer id or staff user name.
    pub subject: String,
    /// Their role.
    pub role: Role,
}

impl Caller {
    /// `role:subject`, as recorded in event metadata.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.subject)
    }

    /// 403 unless the caller is customer `customer_id` or has a staff role
    /// in `staff`.
    pub fn may_read_customer(&self, customer_id: &str, staff: &[Role]) -> Result<(), Problem> {
        let own = self.role == Role::Customer && self.subject == customer_id;
        if own || staff.contains(&self.role) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

/// 401 problem.
pub fn unauthorized(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    )
}

/// 403 problem.
pub fn forbidden() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "your role may not use this route",
    )
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Checks the token and the role; on success the caller is in the request.
pub async fn require(
    State((tokens, roles)): State<(Arc<Tokens>, &'static [Role])>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Some(token) = bearer(&parts) else {
        return with_challenge(unauthorized("a bearer token is required"));
    };
    let claims = match tokens.check(token) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "token refused");
            return with_challenge(unauthorized("the token is invalid or expired"));
        }
    };
    if !roles.contains(&claims.role) {
        return forbidden().into_response();
    }
    parts.extensions.insert(Caller {
        subject: claims.sub,
        role: claims.role,
    });
    next.run(Request::from_parts(parts, body)).await
}

fn with_challenge(p: Problem) -> Response {
    let mut r = p.into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    r
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only routes behind `require` have a caller; reaching this without
        // one is a wiring bug, answered as 401 rather than trusted.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| unauthorized("a bearer token is required"))
    }
}
