//! The write side: the PostgreSQL event store behind cqrs-es's `EventStore`
//! trait, correct snapshots, the commit-ordered global log, and the command
//! bus that retries optimistic-concurrency conflicts.
//!
//! # Layout
//! - [`db`] — connecting, migrations, readiness.
//! - [`events`] — [`PgEventStore`] (streams, snapshots, hash chain) and
//!   [`events::log`] (the global read in commit order), [`events::tail`] (its
//!   newest stretch, read once and shared by a process's readers).
//! - [`stream`] — what the store needs to know about an aggregate's events.
//! - [`cache`] — latest state of recent streams, so most commands need no read.
//! - [`bus`] — [`CommandBus`]: one command, retried on conflict, answered once.
//! - [`turns`] — commands for one stream take turns within the process.
//! - `group` — group commit: concurrent commands share one INSERT and commit.
//! - [`batch`] — many commands over many customers in one commit.
//! - [`registry`] — model artifacts by version, for scoring and replay.
//! - [`stats`] — conflict counters for `/metrics`.
//! - [`notifier`] — wakes log readers after commits without serialising them.
//! - `testing` (feature `test-support`): a fresh database per test.

pub mod batch;
pub mod bus;
pub mod cache;
pub mod db;
pub mod events;
mod group;
pub mod metadata;
pub mod notifier;
pub mod registry;
pub mod stats;
pub mod stream;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod turns;

pub use bus::{CommandBus, CommandError, Outcome};
pub use events::log::{Checkpoint, RecordedEvent};
pub use events::PgEventStore;
pub use metadata::Metadata;
pub use stream::Stream;
