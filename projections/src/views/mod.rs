//! The projections: one file each.
//!
//! - [`overview`] — `customer_overview`: identity, limit, balance, utilisation.
//! - [`activity`] — `customer_transactions` and `customer_statements`.
//! - [`features`] — `customer_features`: behavioural features and their state.

pub mod activity;
pub mod features;
pub mod overview;
