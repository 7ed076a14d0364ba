//! The `early-risk` command line: the subcommands and their options (this
//! file), each run by the module for its job.
//!
//! # Layout
//! - `serve` — `serve` and `project`: the API and what runs behind it.
//! - `data` — `migrate`, `import`, `import-uci`, `rebuild`, `day-end`.
//! - `tools` — `demo-model`, `train-uci`, `fake-whatsapp`.
//! - `simulate`, `train`, `evaluate` are in [`crate::models_cli`]; `audit` in
//!   [`crate::audit_cli`]; `users` in [`users`].

mod data;
mod serve;
mod tools;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::database::DatabaseArgs;

/// Early Risk Signals: spots card customers heading for delinquency.
#[derive(Parser, Debug)]
#[command(name = "early-risk", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP API.
    Serve {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Model options.
        #[command(flatten)]
        model: crate::model::ModelArgs,
        /// Address to listen on.
        #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Load demo customers and their activity (idempotent).
        #[arg(long)]
        demo: bool,
        /// Do not run the projection runners here (run `early-risk project`
        /// as a separate process instead).
        #[arg(long)]
        no_read_side: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Import NDJSON commands (one per line); safe to re-run.
    Import {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// The NDJSON file.
        file: PathBuf,
        /// Lines committed together.
        #[arg(long, default_value_t = 2_000)]
        batch_size: usize,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Import a CSV in the UCI "Default of Credit Card Clients" layout as
    /// events (each client: account, statements, payments, purchases, days
    /// past due); safe to re-run.
    ImportUci {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// The CSV file.
        file: PathBuf,
        /// Commands committed together.
        #[arg(long, default_value_t = 2_000)]
        batch_size: usize,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the projection runners only (the read side as its own process).
    Project {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Model options.
        #[command(flatten)]
        model: crate::model::ModelArgs,
    },
    /// Replay the whole log into fresh projection tables and swap them in.
    Rebuild {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Model options.
        #[command(flatten)]
        model: crate::model::ModelArgs,
        /// One projection (default: all).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(projections::supervisor::PROJECTIONS))]
        projection: Option<String>,
        /// Events per transaction. Larger batches write each customer's
        /// feature state less often (fewer, bigger transactions; more memory).
        #[arg(long, default_value_t = 50_000)]
        batch: i64,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Decide every active customer again as of the end of a business day
    /// (what `serve` does at each 00:00 UTC), or finish a run of that day
    /// that stopped. Prints what it did as JSON.
    DayEnd {
        /// Database options.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Model options.
        #[command(flatten)]
        model: crate::model::ModelArgs,
        /// The day whose end to evaluate (default: yesterday, UTC).
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// Customers read and committed together.
        #[arg(long, default_value_t = projections::day_end::PAGE)]
        page: i64,
    },
    /// Print the built-in hand-set demo model artifact (JSON) to stdout.
    DemoModel,
    /// Train on a CSV in the UCI "Default of Credit Card Clients" layout
    /// (each client becomes events; features come from the same domain code):
    /// the LR + tree baseline and the boosted challenger, the one better on
    /// validation rows deciding, and write the artifact.
    TrainUci {
        /// The CSV file.
        #[arg(long)]
        input: PathBuf,
        /// Where to write the artifact.
        #[arg(long, default_value = "artifacts/model.json")]
        out: PathBuf,
        /// Training time recorded in the artifact (default: now). Fix it to
        /// reproduce an artifact byte for byte.
        #[arg(long)]
        trained_at: Option<String>,
    },
    /// Write a simulated portfolio as NDJSON commands (the importer's shape)
    /// and, separately, each customer's true delinquency date.
    Simulate(crate::models_cli::SimulateArgs),
    /// Reshape a command log as another bank's feed would carry the same
    /// customers (no returns, monthly days past due, coarser transactions or
    /// merchant codes, other limits), to evaluate a model beyond its own
    /// portfolios.
    Reshape(crate::models_cli::ReshapeArgs),
    /// Train the LR + tree model on a command log (NDJSON, e.g. from
    /// `simulate`) with point-in-time rows, and write `model.json` and
    /// `model-card.md` into `--out`.
    Train(crate::models_cli::TrainArgs),
    /// Choose a model's alert policy (High threshold, rules that set High)
    /// again on the bank's own history within the false-alarm budget,
    /// keeping its scorers, and write the new artifact.
    Calibrate(crate::models_cli::CalibrateArgs),
    /// Evaluate a model artifact on a command log (point-in-time): AUC,
    /// accuracy, High precision/recall, Brier, KS, band mix, early warning.
    Evaluate(crate::models_cli::EvaluateArgs),
    /// Run a faithful fake of the WhatsApp Cloud API (template registry,
    /// error codes, rate limits, signed status webhooks) for local runs.
    FakeWhatsapp {
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 8090)]
        port: u16,
        /// Bearer token the fake accepts.
        #[arg(
            long,
            env = "WHATSAPP_TOKEN",
            default_value = "fake-token",
            hide_env_values = true
        )]
        token: String,
        /// Phone-number id the fake accepts.
        #[arg(long, env = "WHATSAPP_PHONE_ID", default_value = "106500000000")]
        phone_id: String,
        /// Where to post signed status webhooks (none: no callbacks).
        #[arg(long)]
        webhook_url: Option<String>,
        /// App secret that signs the webhooks.
        #[arg(
            long,
            env = "WHATSAPP_APP_SECRET",
            default_value = "",
            hide_env_values = true
        )]
        app_secret: String,
        /// Send every status webhook twice and out of order.
        #[arg(long)]
        unruly_callbacks: bool,
    },
    /// Audit: replay recorded decisions, show decision records and state as
    /// of a moment, check the log's hash chain.
    Audit(crate::audit_cli::AuditArgs),
    /// Staff accounts: `users add` (password from a prompt or stdin) and
    /// `users token` (a service token for the bank's systems).
    Users {
        /// What to do.
        #[command(subcommand)]
        action: users::UsersAction,
    },
    /// Send ingest load to a running server and print figures as JSON.
    Loadgen {
        /// Load options.
        #[command(flatten)]
        load: crate::loadgen::LoadArgs,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            db,
            model,
            bind,
            demo,
            no_read_side,
        } => serve::serve(db, model, bind, demo, !no_read_side)
            .await
            .map(|_| ExitCode::SUCCESS),
        Command::Migrate { db } => data::migrate(db).await,
        Command::Import {
            db,
            file,
            batch_size,
            quiet,
        } => data::import_commands(db, file, batch_size, quiet).await,
        Command::ImportUci {
            db,
            file,
            batch_size,
            quiet,
        } => data::import_uci(db, file, batch_size, quiet).await,
        Command::Project { db, model } => serve::project(db, model).await,
        Command::Rebuild {
            db,
            model,
            projection,
            batch,
            quiet,
        } => data::rebuild(db, model, projection, batch, quiet).await,
        Command::DayEnd {
            db,
            model,
            day,
            page,
        } => data::day_end(db, model, day, page).await,
        Command::DemoModel => tools::demo_model(),
        Command::TrainUci {
            input,
            out,
            trained_at,
        } => tools::train_uci(input, out, trained_at),
        Command::Simulate(args) => crate::models_cli::simulate(args),
        Command::Reshape(args) => crate::models_cli::reshape(args),
        Command::Train(args) => crate::models_cli::train(args),
        Command::Calibrate(args) => crate::models_cli::calibrate(args).await,
        Command::Evaluate(args) => crate::models_cli::evaluate(args),
        Command::FakeWhatsapp {
            port,
            token,
            phone_id,
            webhook_url,
            app_secret,
            unruly_callbacks,
        } => {
            tools::fake_whatsapp(
                port,
                token,
                phone_id,
                webhook_url,
                app_secret,
                unruly_callbacks,
            )
            .await
        }
        Command::Audit(args) => crate::audit_cli::run(args).await,
        Command::Users { action } => users::run_users(action).await,
        Command::Loadgen { load } => {
            let report = crate::loadgen::run(&load).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
