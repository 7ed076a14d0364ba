//! The `Customer` aggregate: one card account and everything that happens to
//! it, as one event stream.
//!
//! # Layout
//! - `commands`: what the bank's systems ask of a customer (imperative names).
//! - `events`: what has happened (past tense), with versioned payloads.
//! - `corrections`: reversals, returned payments and corrected statements,
//!   as commands, events and the checks that decide them.
//! - `errors`: why a command was refused, naming the offending field.
//! - `risk`: recording risk decisions (only changes of band or new rules).
//! - `alerts`: WhatsApp alerts as commands and events; `alert_book`: how the
//!   aggregate decides on them (cooldown, sends and delivery reports).
//! - `aggregate`: the state rebuilt from events and the rules that decide;
//!   `checks`: the checks every command passes against the account.

mod aggregate;
mod alert_book;
mod alerts;
mod checks;
mod commands;
mod corrections;
mod errors;
mod events;
mod risk;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alerts;
#[cfg(test)]
mod tests_corrections;

pub use aggregate::{Addressed, Customer, Profile};
pub use alert_book::*;
pub use alerts::*;
pub use commands::*;
pub use corrections::*;
pub use errors::CustomerError;
pub use events::*;
pub use risk::*;
