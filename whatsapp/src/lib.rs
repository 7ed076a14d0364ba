//! WhatsApp Business Cloud API adapter for Early Risk Signals.
//!
//! Sends approved template messages (utility risk alerts and authentication
//! OTPs with a copy-code button), classifies Cloud API errors by `error.code`
//! into retryable and permanent, verifies signed status webhooks, and ships a
//! faithful local fake of the Cloud API that runs as a real HTTP server.
//!
//! # Layout
//! - [`model`]: wire types exactly as the Cloud API sends and receives them,
//!   and the [`Template`] builder.
//! - [`errors`]: [`SendError`], the [`Retry`] classification and [`backoff`].
//! - [`client`]: [`CloudApiClient`], the real adapter over `reqwest`.
//! - [`webhook`]: signature checks, the subscribe challenge and status parsing.
//! - [`fake`]: [`FakeWhatsApp`], an axum server used by tests and local runs.

pub mod client;
pub mod errors;
pub mod fake;
pub mod model;
pub mod webhook;

pub use client::{CloudApiClient, SentMessage};
pub use errors::{backoff, Retry, SendError};
pub use fake::{FakeConfig, FakeHandle, FakeWhatsApp, RecordedMessage};
pub use model::Template;
pub use webhook::{
    parse_statuses, sign, verify_challenge, verify_signature, Delivery, StatusUpdate,
};
