//! Staff sign-in: `POST /v1/auth/login {username, password}` answers a
//! token for the account's role (checked by `auth::staff`), and the token
//! answer customer sign-in (`otp`) shares.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::auth::guard::unauthorized;
use crate::auth::staff::verify_login;
use crate::auth::Role;
use crate::http::json::StrictJson;
use crate::http::AppState;
use crate::problem::Problem;

/// `POST /v1/auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A token response (staff and customer logins).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The role it carries.
    pub role: Role,
    /// Who it is for.
    pub subject: String,
}

/// Issues a token response.
pub fn token_response(state: &AppState, subject: &str, role: Role) -> TokenResponse {
    let now = chrono::Utc::now().timestamp();
    TokenResponse {
        access_token: state.tokens.issue(subject, role, now),
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds(),
        role,
        subject: subject.to_owned(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    summary = "Staff sign-in",
    request_body = crate::http::openapi::schemas::LoginBody,
    responses(
        (status = 200, description = "A staff token", body = TokenResponse),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Invalid,
        (status = 429, description = "Too many sign-in attempts from this client (see Retry-After)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    )
)]
pub async fn sign_in_staff(
    State(state): State<AppState>,
    StrictJson(body): StrictJson<LoginRequest>,
) -> Result<Json<TokenResponse>, Problem> {
    if body.username.len() > 64 || body.password.len() > 1024 {
        return Err(unauthorized("wrong user name or password"));
    }
    match verify_login(&state.pool, &body.username, &body.password).await {
        Ok(Some(role)) => {
            tracing::info!(user = %body.username, role = role.as_str(), "staff login");
            Ok(Json(token_response(&state, &body.username, role)))
        }
        Ok(None) => {
            tracing::info!("staff login refused");
            Err(unauthorized("wrong user name or password"))
        }
        Err(e) => Err(Problem::from(e)),
    }
}

/// The staff login route (public).
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/auth/login", post(sign_in_staff))
}
