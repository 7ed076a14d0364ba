//! The projections: one file each.
//!
//! - [`overview`] — `customer_overview`: identity, limit, balance, utilisation.
//! - [`activity`] — `customer_transactions` and `customer_statements`.

pub mod activity;
pub mod overview;
