//! Who is calling and what they may do: JWT access tokens (HS256), roles,
//! the route guard every protected router declares, and staff accounts with
//! argon2id passwords. The sign-in routes that use them are in `http`
//! (`sign_in`, `otp`); nothing here depends on the HTTP layer's state.
//!
//! # Layout
//! - `tokens`: the secret's rules, issuing and checking tokens.
//! - `guard`: the per-router role check and the [`Caller`] it leaves behind.
//! - `staff`: staff accounts and their passwords.

pub mod guard;
pub mod staff;
pub mod tokens;

use serde::{Deserialize, Serialize};

pub use guard::{require, Caller};
pub use tokens::{AuthSettings, Claims, Tokens};

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A card customer: their own data only.
    Customer,
    /// Bank staff running the portfolio.
    Admin,
    /// Read-only, all customers; every read is recorded.
    Auditor,
    /// The bank's systems writing customers and card activity.
    Ingest,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Ingest => "ingest",
        }
    }

    /// Parses a staff role (customers are never created by hand).
    pub fn parse_staff(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            "ingest" => Some(Role::Ingest),
            _ => None,
        }
    }
}
