//! The projections: one file each.
//!
//! - [`overview`] — `customer_overview`: identity, limit, balance, utilisation.
//! - [`activity`] — `customer_transactions`, `customer_statements` and
//!   (`corrections`) `customer_corrections`.
//! - [`scoring`] — `customer_features` and scoring: features, their state,
//!   `customer_risk`, `risk_history`, decision requests.
//! - `feature_rows` — the scoring projection's stored states and the rows it
//!   writes.
//! - [`risk_state`] — the `customer_risk` rows of the scoring projection.
//! - `writes` — several writes of a step sent as one statement.
//! - [`decisions`] — `risk_decisions`: every recorded decision.
//! - [`alerts`] — `customer_alerts`: every alert and its delivery state.

pub mod activity;
pub mod alerts;
mod corrections;
pub mod decisions;
mod feature_rows;
pub mod overview;
pub mod risk_state;
pub mod scoring;
pub mod state_codec;
mod writes;
