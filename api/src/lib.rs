//! The `early-risk` binary's library: the HTTP API, the CLI subcommands and
//! the embedded-database default. `main.rs` only parses arguments and calls in.
//!
//! # Layout
//! - [`console`] — the web console (static pages and modules served at `/`).
//! - [`cli`] — subcommands (`serve`, `migrate`, `import`, …).
//! - [`alerting`] — WhatsApp alert settings and runtime wiring.
//! - [`background`] — the read side and the alert machinery of one process,
//!   started together over one shared stretch of the log.
//! - [`auth`] — tokens, roles, the route guard, staff accounts and passwords.
//! - [`audit_cli`] — `early-risk audit`: decision replay, records, state as of, hash chain.
//! - [`database`] — `DATABASE_URL`, or a private PostgreSQL started on demand.
//! - [`http`] — routes (sign-in too), the application state, the strict JSON
//!   extractor.
//! - [`problem`] — RFC 9457 problem answers (routes and the guard).
//! - [`wire`] — the flat JSON shape of commands (batch items, NDJSON lines).
//! - [`import`] — bulk NDJSON import with progress and per-line errors.
//! - [`import_uci`] — the UCI credit data as commands.
//! - [`demo`] — demo customers for the embedded default.
//! - [`model`] — loads and registers the scoring model artifact (the default
//!   one is built into the binary).
//! - [`models_cli`] — `simulate`, `train` and `evaluate`.
//! - [`loadgen`] — an HTTP load generator (a separate process) for benchmarks.
//! - [`telemetry`] — logging setup.

pub mod alerting;
pub mod audit_cli;
pub mod auth;
pub mod background;
pub mod cli;
pub mod console;
pub mod database;
pub mod demo;
pub mod http;
pub mod import;
pub mod import_uci;
pub mod loadgen;
pub mod model;
pub mod models_cli;
pub mod problem;
pub mod store_history;
pub mod telemetry;
pub mod wire;
