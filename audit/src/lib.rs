//! Audit: answers "why was this customer flagged, by which model, on what
//! evidence — and would the same evidence give the same answer today?" from
//! the event log alone, and shows that the log itself was not altered.
//!
//! Everything here reads the `events` table (and the model registry); nothing
//! reads a view, because views are derived and an audit must not trust them.
//!
//! # Layout
//! - [`log`] — a customer's stream with each event's place in commit order.
//! - [`fold`] — [`fold::ScoringFold`]: folds a stream exactly as the scoring
//!   projection did (commit order, decisions aside), so a replay sees the
//!   events the projection saw.
//! - [`replay`] — re-derives one recorded decision and compares it field by
//!   field, bit for bit; [`replay::replay_decision`] for one decision.
//! - [`diff`] — [`diff::FieldDiff`] and the bit-exact JSON comparison.
//! - [`models`] — model artifacts by version from the registry, cached.
//! - [`verify`] — replay of every decision of a portfolio, customers in
//!   parallel, each customer's events read once.
//! - [`record`] — the full decision record: trigger, evidence, and what
//!   followed on the stream.
//! - [`summary`] — one-line summaries of any event (new event types included).
//! - [`asof`] — a customer's features, band and decision in force as they
//!   stood at a moment or a log position, with [`asof::Section`] as the
//!   extension point for more state; [`asof_alerts`] is the alerts section.
//! - [`chain`] — checks every stream's hash chain in batches and reports the
//!   first broken link.

pub mod asof;
pub mod asof_alerts;
pub mod chain;
pub mod diff;
pub mod fold;
pub mod log;
pub mod models;
pub mod record;
pub mod replay;
pub mod summary;
pub mod verify;

pub use store::Checkpoint;

/// Why an audit question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data does not decode: damage or a bug, reported, never skipped.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The decision, customer or log position asked about does not exist.
    #[error("{0} not found")]
    NotFound(String),
}
