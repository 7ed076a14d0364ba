//! Staff accounts (admins, auditors, the bank's ingest systems): argon2id
//! password hashes in `staff_accounts`, creating an account and checking a
//! password. (The sign-in route is `http::sign_in`; the command that
//! creates accounts is `cli::users`.)
//!
//! Rows are only ever inserted. A login for an unknown user still runs one
//! argon2 verification (against a fixed dummy hash), so the time taken does
//! not reveal which user names exist.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::{PgPool, Row};

use super::Role;

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
