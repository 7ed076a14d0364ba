//! The projections: one file each.
//!
//! - [`overview`] — `customer_overview`: identity, limit, balance, utilisation.
//! - [`activity`] — `customer_transactions` and `customer_statements`.
//! - [`features`] — `customer_features` and scoring: features, their state,
//!   `customer_risk`, `risk_history`, decision requests.
//! - [`risk_state`] — the `customer_risk` rows of the scoring projection.

pub mod activity;
pub mod features;
pub mod overview;
pub mod risk_state;
