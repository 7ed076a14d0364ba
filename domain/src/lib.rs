//! The pure domain of Early Risk Signals: what a card customer is, what can be
//! asked of one (commands) and what has happened to one (events).
//!
//! Nothing in this crate does I/O, reads the clock or draws random numbers it
//! was not handed: the same events always give the same state, which is what
//! lets the projections, the trainer and the auditor's replay share this code.
//!
//! # Layout
//! - [`alert_budget`] — the share of the portfolio risk alerts may reach in a
//!   year, held without outcome labels.
//! - [`values`] — validated value objects (customer id, E.164 phone, currency,
//!   amounts, merchant category, statement period). Invalid values cannot be
//!   constructed, so they cannot exist past the edge.
//! - [`customer`] — the `Customer` aggregate, its commands, events and errors.
//! - [`login`] — the `Login` aggregate: one-time-code sign-in for one phone.
//! - [`audit_trail`] — the `AuditTrail` aggregate: every audit read, who and
//!   when, recorded before it is answered.
//! - [`facts`] — facts recorded earlier that a command's ids collide with — the
//!   aggregate's only "service", prefetched by the command bus.
//! - [`features`] — behavioural features (utilisation, spend change, payment
//!   ratios, days past due…) as pure functions of the history and an as-of time.
//! - [`money`] — amounts written for people, in currency units.
//! - [`risk`] — versioned model artifacts, scores, rule overrides, per-feature
//!   SHAP explanations and plain-language reason codes.

pub mod alert_budget;
pub mod audit_trail;
pub mod customer;
pub mod facts;
pub mod features;
pub mod login;
pub mod money;
pub mod risk;
pub mod values;

pub use customer::{
    Customer, CustomerCommand, CustomerError, CustomerEvent, BEHAVIOUR_EVENT_TYPES,
};
pub use facts::KnownFacts;
