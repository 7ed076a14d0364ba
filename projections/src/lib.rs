//! The read side: projections that follow the commit-ordered event log and
//! keep plain SQL views up to date, each with its own durable checkpoint, and
//! that can be rebuilt from the log at any time with the same result.
//!
//! # Layout
//! - [`projection`] — the `Projection` trait and the table sets it writes.
//! - [`runner`] — the catch-up loop: batch, apply and checkpoint in one
//!   transaction, woken by NOTIFY, exclusive per projection across processes.
//! - [`status`] — each projection's stored position, health and backlog.
//! - [`recorder`] — turns requested risk decisions into recorded events.
//! - [`day_end`] — decides every active customer again at each day's end.
//! - [`rebuild`] — replay the whole log into fresh tables and swap them in.
//! - [`supervisor`] — starts and stops all runners; rebuild by name.
//! - [`tasks`] — how every background loop of a process is started, woken,
//!   fed from the log and stopped (read side, alerts, day-end).
//! - [`lag`] — commit-to-projected latency and events behind, per projection.
//! - [`views`] — the projections themselves.

pub mod day_end;
pub mod lag;
pub mod pace;
pub mod projection;
pub mod rebuild;
pub mod recorder;
pub mod runner;
pub mod status;
pub mod supervisor;
pub mod tasks;
pub mod views;

pub use projection::{Projection, ProjectionError, Tables};
pub use runner::{Runner, RunnerStatus};
