//! Access tokens: HS256 JWTs with `sub`, `role`, `iss`, `aud`, `iat`, `exp`.
//!
//! Only HS256 is accepted (a token claiming `none` or an RS algorithm is
//! refused before its signature is looked at), the issuer and audience must
//! match, and expiry is checked without leeway. The secret comes from
//! `JWT_SECRET_KEY`; outside demo mode a missing, short (< 32 bytes) or
//! placeholder secret stops the process at start-up.

use std::fmt;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::Role;

/// Issuer of our tokens.
pub const ISSUER: &str = "early-risk";
/// Audience of our tokens.
pub const AUDIENCE: &str = "early-risk-api";
/// Shortest secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Customer id or staff user name.
    pub sub: String,
    /// What they may do.
    pub role: Role,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// `JWT_SECRET_KEY` and `ACCESS_TOKEN_EXPIRE_MINUTES`.
#[derive(Clone)]
pub struct AuthSettings {
    secret: Vec<u8>,
    /// Token lifetime in minutes.
    pub ttl_minutes: i64,
    /// Whether the secret was generated for a demo run.
    pub generated: bool,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("secret", &"[redacted]")
            .field("ttl_minutes", &self.ttl_minutes)
            .finish()
    }
}

impl AuthSettings {
    /// Reads the environment. In demo mode a missing secret is replaced by a
    /// random one (tokens then die with the process); otherwise it is an
    /// error, as is a short or placeholder one.
    pub fn from_env(demo: bool) -> anyhow::Result<Self> {
        let ttl_minutes = match std::env::var("ACCESS_TOKEN_EXPIRE_MINUTES") {
            Ok(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=24 * 60).contains(m))
                .ok_or_else(|| {
                    anyhow::anyhow!("ACCESS_TOKEN_EXPIRE_MINUTES must be 1..=1440 minutes")
                })?,
            Err(_) => 30,
        };
        let secret = std::env::var("JWT_SECRET_KEY").ok();
        match secret {
            Some(s) => Self::with_secret(s.into_bytes(), ttl_minutes),
            None if demo => Ok(Self {
                secret: random_secret(),
                ttl_minutes,
                generated: true,
            }),
            None => anyhow::bail!(
                "JWT_SECRET_KEY is not set: set a random secret of at least {MIN_SECRET_BYTES} bytes \
                 (e.g. `openssl rand -hex 32`), or run with --demo"
            ),
        }
    }

    /// Settings with an explicit secret, checked like the environment's.
    pub fn with_secret(secret: Vec<u8>, ttl_minutes: i64) -> anyhow::Result<Self> {
        if secret == b"CHANGE_ME" {
            anyhow::bail!("JWT_SECRET_KEY is the placeholder CHANGE_ME: set a real secret");
        }
        if secret.len() < MIN_SECRET_BYTES {
            anyhow::bail!("JWT_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes");
        }
        Ok(Self {
            secret,
            ttl_minutes,
            generated: false,
        })
    }

    /// The secret (for deriving the OTP keys).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

fn random_secret() -> Vec<u8> {
    let mut s = vec![0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// Why a token was refused (the caller only ever sees "401").
#[derive(Debug, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(String);

/// Issues and checks tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

impl Tokens {
    /// From settings.
    pub fn new(settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(&settings.secret),
            decoding: DecodingKey::from_secret(&settings.secret),
            validation,
            ttl_seconds: settings.ttl_minutes * 60,
        }
    }

    /// Tokens nobody can obtain (a random secret): protected routes refuse
    /// everything until real settings are given.
    pub fn unusable() -> Self {
        Self::new(&AuthSettings {
            secret: random_secret(),
            ttl_minutes: 30,
            generated: true,
        })
    }

    /// Token lifetime in seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// A token for `sub` with `role`, issued `now` (Unix seconds).
    pub fn issue(&self, sub: &str, role: Role, now: i64) -> String {
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + self.ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// The claims of a valid token.
    pub fn check(&self, token: &str) -> Result<Claims, TokenError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| TokenError(e.to_string()))
    }
}
