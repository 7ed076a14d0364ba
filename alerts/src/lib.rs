//! Alerts on WhatsApp: from a risk escalation to a message the customer
//! reads, exactly once, with every step on the customer's stream.
//!
//! # Flow
//! `RiskAssessed` (escalation) → [`policy`] raises `AlertRaised` (the outbox)
//! → [`outbox`] queues it in `alert_outbox` → [`dispatcher`] sends it through
//! the [`adapter`] (Cloud API or local inbox), paced by [`pacing`], and
//! records `AlertSent` / `AlertFailed` → status webhooks are recorded as
//! `AlertDeliveryUpdated` by [`webhook`]. One-time codes (`OtpIssued` on a
//! phone's login stream) and the welcome after a first sign-in take the same
//! outbox and dispatcher.
//!
//! # Layout
//! - [`budget`]: the portfolio counts the escalation policy's alert budget
//!   reads (`alert_budget_customers`).
//! - [`config`]: policy, pacing, retries and the WhatsApp connection (env).
//! - [`otp`]: one-time codes — generation, keyed hash, sealing for sending.
//! - [`runtime`]: starts and stops all of it in one process.

pub mod adapter;
pub mod budget;
pub mod config;
pub mod dispatcher;
pub mod otp;
pub mod outbox;
pub mod pacing;
pub mod policy;
pub mod runtime;
pub mod webhook;

pub use adapter::{Adapter, LocalInbox, LocalMessage};
pub use config::{AlertPolicy, DispatchConfig, Secret, WhatsAppSettings};
pub use runtime::{AlertsConfig, AlertsRuntime};
