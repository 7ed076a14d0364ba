//! Staff accounts (admins, auditors, the bank's ingest systems): argon2id
//! password hashes in `staff_accounts`, password login, and the CLI that
//! creates accounts (password from a prompt or stdin, never argv).
//!
//! Rows are only ever inserted. A login for an unknown user still runs one
//! argon2 verification (against a fixed dummy hash), so the time taken does
//! not reveal which user names exist.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};

use super::guard::unauthorized;
use super::Role;
use crate::http::json::StrictJson;
use crate::http::problem::Problem;
use crate::http::AppState;

/// Shortest password accepted for a new account.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// A field is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The user name is taken.
    #[error("user {0} already exists")]
    Exists(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Checks a user name: 3–64 of `a-z 0-9 . _ -`.
pub fn valid_username(u: &str) -> bool {
    (3..=64).contains(&u.len())
        && u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id with default parameters cannot fail")
        .to_string()
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password anyone has"))
}

/// Creates an account.
pub async fn add_user(
    pool: &PgPool,
    username: &str,
    role: Role,
    password: &str,
) -> Result<(), StaffError> {
    if !valid_username(username) {
        return Err(StaffError::Invalid(
            "username must be 3-64 characters of a-z, 0-9, '.', '_' or '-'".into(),
        ));
    }
    if role == Role::Customer {
        return Err(StaffError::Invalid(
            "role must be admin, auditor or ingest".into(),
        ));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::Invalid(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let hash = hash_password(password);
    let inserted = sqlx::query(
        "INSERT INTO staff_accounts (username, role, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(username)
    .bind(role.as_str())
    .bind(hash)
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StaffError::Exists(username.to_owned()));
    }
    Ok(())
}

/// The role of `username` if `password` is theirs.
pub async fn verify_login(
    pool: &PgPool,
    username: &str,
    password: &str,
) -> Result<Option<Role>, sqlx::Error> {
    let row = sqlx::query("SELECT role, password_hash FROM staff_accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await?;
    let (role, stored) = match &row {
        Some(r) => (
            Role::parse_staff(r.try_get::<&str, _>("role")?),
            r.try_get::<String, _>("password_hash")?,
        ),
        None => (None, dummy_hash().to_owned()),
    };
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    Ok(if matches { role } else { None })
}

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
        (status = 400, description = "Bad query parameter or malformed JSON", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-in attempts from this client (see Retry-After)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable (see Retry-After)", body = crate::http::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn login(
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
    Router::new().route("/v1/auth/login", post(login))
}

/// `early-risk users …`.
#[derive(Debug, clap::Subcommand)]
pub enum UsersAction {
    /// Create a staff account; the password is read from a prompt, or from
    /// stdin when it is not a terminal — never from the command line.
    Add {
        /// Database options.
        #[command(flatten)]
        db: crate::database::DatabaseArgs,
        /// User name (3-64 of a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// `admin`, `auditor` or `ingest`.
        #[arg(long)]
        role: String,
    },
    /// Print an access token for a service account (needs JWT_SECRET_KEY):
    /// what the bank's ingest systems and the benchmarks present.
    Token {
        /// Subject (the service's name).
        #[arg(long)]
        subject: String,
        /// `admin`, `auditor` or `ingest`.
        #[arg(long, default_value = "ingest")]
        role: String,
    },
}

fn staff_role(s: &str) -> anyhow::Result<Role> {
    Role::parse_staff(s).ok_or_else(|| anyhow::anyhow!("role must be admin, auditor or ingest"))
}

fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Runs `early-risk users …`.
pub async fn run_users(action: UsersAction) -> anyhow::Result<std::process::ExitCode> {
    match action {
        UsersAction::Add { db, username, role } => {
            let role = staff_role(&role)?;
            let password = read_password()?;
            let db = db.open().await?;
            let result = add_user(&db.pool, &username, role, &password).await;
            db.shutdown().await;
            result?;
            println!("created {} {username}", role.as_str());
        }
        UsersAction::Token { subject, role } => {
            let role = staff_role(&role)?;
            let settings = super::AuthSettings::from_env(false)?;
            let tokens = super::Tokens::new(&settings);
            println!(
                "{}",
                tokens.issue(&subject, role, chrono::Utc::now().timestamp())
            );
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
