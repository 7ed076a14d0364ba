//! Customer sign-in with a one-time code on WhatsApp.
//!
//! `POST /v1/auth/otp/request {phone}` answers the same way whether or not
//! the phone is a customer's, runs the same steps (hash, seal, record on the
//! phone's login stream) and differs only in whether the recorded code
//! carries a customer — only then does the dispatcher send it.
//! `POST /v1/auth/otp/verify {phone, code}` returns a customer token for the
//! right, unexpired, unused code; wrong codes count toward the lock.

use alerts::otp::new_code;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use domain::login::{LoginAddressed, LoginCommand, LoginError, LoginPolicy, RequestOtp, VerifyOtp};
use domain::values::{CustomerId, ExternalId, PhoneNumber};
use serde::Deserialize;
use store::{CommandError, Metadata};

use super::sign_in::token_response;
use crate::auth::guard::unauthorized;
use crate::auth::Role;
use crate::http::json::StrictJson;
use crate::http::AppState;
use crate::problem::Problem;

/// `POST /v1/auth/otp/request` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    /// E.164 phone number.
    pub phone: String,
}

/// `POST /v1/auth/otp/verify` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpVerify {
    /// E.164 phone number.
    pub phone: String,
    /// The six digits received.
    pub code: String,
}

fn phone_of(s: &str) -> Result<PhoneNumber, Problem> {
    PhoneNumber::parse(s).map_err(|m| Problem::field("phone", m))
}

fn too_many(e: &LoginError) -> Problem {
    let retry = match e {
        LoginError::TooManyCodes { retry_after_secs } | LoginError::Locked { retry_after_secs } => {
            *retry_after_secs
        }
        LoginError::UnknownOtp => 1,
    };
    Problem {
        retry_after: Some(u32::try_from(retry).unwrap_or(u32::MAX)),
        ..Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            "Too many requests",
            e.to_string(),
        )
    }
}

fn login_problem(e: CommandError<LoginError>) -> Problem {
    match e {
        CommandError::Rejected(e) => too_many(&e),
        CommandError::Conflict => Problem::new(
            StatusCode::CONFLICT,
            "concurrent-update",
            "Conflict",
            "another sign-in for this phone happened at the same time; retry",
        ),
        CommandError::Store(e) => Problem::from(e),
    }
}

fn meta(what: &str) -> Metadata {
    Metadata::system(
        "customer-sign-in",
        format!("{what}:{}", uuid::Uuid::new_v4()),
    )
}

async fn customer_with_phone(
    state: &AppState,
    phone: &PhoneNumber,
) -> Result<Option<CustomerId>, Problem> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT customer_id FROM customer_overview WHERE phone = $1 ORDER BY customer_id LIMIT 1",
    )
    .bind(phone.as_str())
    .fetch_optional(&state.pool)
    .await?;
    Ok(id.and_then(|i| CustomerId::parse(&i).ok()))
}

/// The same answer for every phone.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OtpAccepted {
    /// Wording that reveals nothing.
    pub status: String,
    /// Seconds a code works.
    pub expires_in: i64,
    /// Seconds before another code may be asked for.
    pub next_code_after: i64,
}

#[utoipa::path(
    post,
    path = "/v1/auth/otp/request",
    tag = "auth",
    summary = "Ask for a one-time code on WhatsApp",
    request_body = crate::http::openapi::schemas::OtpRequestBody,
    responses(
        (status = 202, description = "The same answer for every phone", body = OtpAccepted),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Invalid,
        (status = 429, description = "Too many requests (see Retry-After)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    )
)]
async fn request_code(
    State(state): State<AppState>,
    StrictJson(body): StrictJson<OtpRequest>,
) -> Result<Response, Problem> {
    let phone = phone_of(&body.phone)?;
    let customer = customer_with_phone(&state, &phone).await?;
    let code = new_code();
    let otp_id = ExternalId::parse(&format!("otp-{}", uuid::Uuid::new_v4().simple()))
        .expect("a uuid is a valid id");
    let code_hash = state.otp_keys.hash(phone.as_str(), &code);
    // Sealed either way (same work), kept only when it will be sent.
    let sealed = state.otp_keys.seal(otp_id.as_str(), &code);
    drop(code);
    let command = LoginCommand::RequestOtp(RequestOtp {
        otp_id,
        sealed_code: customer.is_some().then_some(sealed),
        customer_id: customer,
        code_hash,
        now: Utc::now(),
    });
    let addressed = LoginAddressed {
        phone: phone.clone(),
        command,
    };
    state
        .logins
        .execute(phone.as_str(), addressed, &meta("otp-request"))
        .await
        .map_err(login_problem)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(OtpAccepted {
            status: "if this number belongs to a customer, a code is on its way on WhatsApp"
                .to_owned(),
            expires_in: LoginPolicy::CODE_LIFETIME.num_seconds(),
            next_code_after: LoginPolicy::MIN_INTERVAL.num_seconds(),
        }),
    )
        .into_response())
}

#[utoipa::path(
    post,
    path = "/v1/auth/otp/verify",
    tag = "auth",
    summary = "Sign in with the code",
    request_body = crate::http::openapi::schemas::OtpVerifyBody,
    responses(
        (status = 200, description = "A customer token", body = super::sign_in::TokenResponse),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Invalid,
        (status = 429, description = "Too many requests (see Retry-After)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    )
)]
async fn verify_code(
    State(state): State<AppState>,
    StrictJson(body): StrictJson<OtpVerify>,
) -> Result<Response, Problem> {
    let phone = phone_of(&body.phone)?;
    if body.code.len() != 6 || !body.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::field("code", "must be the 6 digits received"));
    }
    let addressed = LoginAddressed {
        phone: phone.clone(),
        command: LoginCommand::VerifyOtp(VerifyOtp {
            code_hash: state.otp_keys.hash(phone.as_str(), &body.code),
            now: Utc::now(),
        }),
    };
    let outcome = state
        .logins
        .execute(phone.as_str(), addressed, &meta("otp-verify"))
        .await
        .map_err(login_problem)?;
    let verified = outcome
        .recorded
        .iter()
        .find(|e| e.event_type == "OtpVerified");
    if let Some(e) = verified {
        let customer: Option<String> = sqlx::query_scalar(
            "SELECT payload -> 'OtpVerified' ->> 'customer_id' FROM events WHERE global_position = $1",
        )
        .bind(e.global_position)
        .fetch_one(&state.pool)
        .await?;
        let customer =
            customer.ok_or_else(|| Problem::internal(&"OtpVerified without customer"))?;
        tracing::info!(customer = %customer, "customer signed in");
        return Ok(Json(token_response(&state, &customer, Role::Customer)).into_response());
    }
    if outcome
        .recorded
        .iter()
        .any(|e| e.event_type == "LoginLocked")
    {
        state.http_metrics.lockout();
        return Err(too_many(&LoginError::Locked {
            retry_after_secs: u64::try_from(LoginPolicy::LOCK.num_seconds()).unwrap_or(900),
        }));
    }
    Err(unauthorized("the code is wrong, expired or already used"))
}

/// The customer sign-in routes (public).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/otp/request", post(request_code))
        .route("/v1/auth/otp/verify", post(verify_code))
}
