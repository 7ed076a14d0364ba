//! The `Login` aggregate: one-time-code sign-in for one phone number, as one
//! event stream keyed by the phone.
//!
//! Every phone that asks gets the same treatment — registered with the bank
//! or not — so neither the answers nor the limits reveal which numbers are
//! customers: a code is issued (and only sent when the phone belongs to a
//! customer), at most one every 30 s and five an hour; five wrong codes lock
//! the phone for 15 minutes; a code works once, for 5 minutes. The stream
//! keeps only a keyed hash of each code (and, for the sender, a sealed copy
//! the dispatcher opens), never the code itself.
//!
//! Times come in with the commands (the domain has no clock).
//!
//! # Layout
//! - this file: commands, events, errors.
//! - `aggregate`: the state and the decisions.

mod aggregate;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

pub use aggregate::{Login, LoginPolicy};

use crate::values::{CustomerId, ExternalId, PhoneNumber};

/// Asks for a new code (the command).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestOtp {
    /// Fresh id of this code.
    pub otp_id: ExternalId,
    /// The customer the phone belongs to, if any (nothing is sent otherwise).
    pub customer_id: Option<CustomerId>,
    /// Keyed hash (HMAC) of the code; the code itself is never stored.
    pub code_hash: String,
    /// The code sealed for the dispatcher (authenticated encryption with a
    /// server key); none when nothing will be sent.
    pub sealed_code: Option<String>,
    /// When it was asked for.
    pub now: DateTime<Utc>,
}

/// Tries a code (the command).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyOtp {
    /// Keyed hash of the code given.
    pub code_hash: String,
    /// When it was tried.
    pub now: DateTime<Utc>,
}

/// Records that the code's message was handed to WhatsApp, or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtpDelivery {
    /// The code.
    pub otp_id: ExternalId,
    /// WhatsApp's message id when accepted.
    pub wamid: Option<String>,
    /// Why not, when not.
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything a login stream accepts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LoginCommand {
    /// See [`RequestOtp`].
    RequestOtp(RequestOtp),
    /// See [`VerifyOtp`].
    VerifyOtp(VerifyOtp),
    /// See [`OtpDelivery`].
    RecordOtpDelivery(OtpDelivery),
}

/// A command addressed to one phone's login stream.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginAddressed {
    /// The phone (stream id).
    pub phone: PhoneNumber,
    /// The command.
    pub command: LoginCommand,
}

/// A code was issued.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtpIssued {
    /// Its id.
    pub otp_id: ExternalId,
    /// The phone it is for.
    pub phone: PhoneNumber,
    /// The customer, when the phone is a customer's (only then is it sent).
    pub customer_id: Option<CustomerId>,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// The code sealed for the dispatcher.
    pub sealed_code: Option<String>,
    /// When.
    pub issued_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A code was tried and refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtpRejected {
    /// `wrong_code`, `expired`, `no_code` (none issued, or already used).
    pub reason: String,
    /// Consecutive refusals so far.
    pub failures: u32,
    /// When.
    pub at: DateTime<Utc>,
}

/// A code was accepted: the customer is signed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtpVerified {
    /// The code.
    pub otp_id: ExternalId,
    /// Who signed in.
    pub customer_id: CustomerId,
    /// Their first successful sign-in (the welcome message follows it).
    pub first_login: bool,
    /// When.
    pub verified_at: DateTime<Utc>,
}

/// Too many wrong codes: the phone is locked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginLocked {
    /// Until when.
    pub until: DateTime<Utc>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Events of a login stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LoginEvent {
    /// See [`OtpIssued`].
    OtpIssued(OtpIssued),
    /// See [`OtpDelivery`].
    OtpDelivered(OtpDelivery),
    /// See [`OtpRejected`].
    OtpRejected(OtpRejected),
    /// See [`OtpVerified`].
    OtpVerified(OtpVerified),
    /// See [`LoginLocked`].
    LoginLocked(LoginLocked),
}

impl LoginEvent {
    /// When it happened.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::OtpIssued(e) => e.issued_at,
            Self::OtpDelivered(e) => e.at,
            Self::OtpRejected(e) => e.at,
            Self::OtpVerified(e) => e.verified_at,
            Self::LoginLocked(e) => e.at,
        }
    }
}

impl DomainEvent for LoginEvent {
    fn event_type(&self) -> String {
        match self {
            Self::OtpIssued(_) => "OtpIssued",
            Self::OtpDelivered(_) => "OtpDelivered",
            Self::OtpRejected(_) => "OtpRejected",
            Self::OtpVerified(_) => "OtpVerified",
            Self::LoginLocked(_) => "LoginLocked",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a login command was refused (nothing recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// A new code was asked for too soon after the last, or too often.
    #[error("too many codes requested; try again in {retry_after_secs} s")]
    TooManyCodes {
        /// Seconds until a new code may be asked for.
        retry_after_secs: u64,
    },
    /// The phone is locked after too many wrong codes.
    #[error("too many wrong codes; try again in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lock ends.
        retry_after_secs: u64,
    },
    /// A delivery report for a code this stream never issued.
    #[error("no such code")]
    UnknownOtp,
}
