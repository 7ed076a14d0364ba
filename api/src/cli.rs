//! The `early-risk` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    /// Train the LR + tree model on a CSV in the UCI "Default of Credit Card
    /// Clients" layout (each client becomes events; features come from the
    /// same domain code) and write the artifact.
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
    /// Train the LR + tree model on a command log (NDJSON, e.g. from
    /// `simulate`) with point-in-time rows, and write `model.json` and
    /// `model-card.md` into `--out`.
    Train(crate::models_cli::TrainArgs),
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
        action: crate::auth::staff::UsersAction,
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
        } => serve(db, model, bind, demo, !no_read_side)
            .await
            .map(|_| ExitCode::SUCCESS),
        Command::Migrate { db } => {
            let db = db.open().await?;
            println!("migrations applied");
            db.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            db,
            file,
            batch_size,
            quiet,
        } => {
            let skew =
                crate::http::clock::max_future_skew_from_env().map_err(anyhow::Error::msg)?;
            import(db, |bus| async move {
                crate::import::import_file(&bus, &file, batch_size.clamp(1, 10_000), !quiet, skew)
                    .await
            })
            .await
        }
        Command::ImportUci {
            db,
            file,
            batch_size,
            quiet,
        } => {
            import(db, |bus| async move {
                crate::import_uci::import_uci(&bus, &file, batch_size.clamp(1, 10_000), !quiet)
                    .await
            })
            .await
        }
        Command::Project { db, model } => {
            let whatsapp = crate::alerting::Alerting::from_env()?;
            // The dispatcher opens sealed one-time codes with keys derived
            // from the same secret the API process uses.
            let auth = crate::auth::AuthSettings::from_env(false)?;
            let db = db.open().await?;
            let model = model.load(&db.pool).await?;
            let state = crate::http::AppState::new(db.pool.clone()).with_auth(&auth);
            let day_end = crate::background::day_end_from_env()?;
            let background =
                crate::background::Background::start(&state, &whatsapp, model, None, day_end);
            println!("projection runners and alert dispatcher started; Ctrl-C to stop");
            shutdown_signal().await;
            background.stop().await;
            db.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rebuild {
            db,
            model,
            projection,
            batch,
            quiet,
        } => {
            let db = db.open().await?;
            let model = model.load(&db.pool).await?;
            // A rebuild creates and swaps tables: the owner's work.
            let reports = projections::supervisor::rebuild_named(
                &db.owner,
                model,
                projection.as_deref(),
                batch.max(1),
                !quiet,
            )
            .await;
            db.shutdown().await;
            for r in reports? {
                println!("{}", serde_json::to_string(&r)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::DayEnd {
            db,
            model,
            day,
            page,
        } => {
            let day = match day {
                Some(d) => d,
                None => chrono::Utc::now()
                    .date_naive()
                    .pred_opt()
                    .context("no day before today")?,
            };
            let db = db.open().await?;
            let ran = async {
                let model = model.load(&db.pool).await?;
                projections::day_end::DayEnd::new(db.pool.clone(), model)
                    .with_page(page)
                    .run(day)
                    .await
                    .map_err(anyhow::Error::from)
            }
            .await;
            db.shutdown().await;
            match ran? {
                Some(report) => {
                    println!("{}", serde_json::to_string(&report)?);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("another process is evaluating day ends; try again when it is done");
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::DemoModel => {
            let model = domain::risk::demo_artifact();
            println!("{}", serde_json::to_string_pretty(&model)?);
            eprintln!("version {}", model.version());
            Ok(ExitCode::SUCCESS)
        }
        Command::TrainUci {
            input,
            out,
            trained_at,
        } => {
            let trained_at = trained_at.unwrap_or_else(|| chrono::Utc::now().to_rfc3339());
            let started = std::time::Instant::now();
            let (model, test, train) = training::train_uci_default(&input, &trained_at)?;
            let secs = started.elapsed().as_secs_f64();
            std::fs::write(&out, serde_json::to_string_pretty(&model)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "model {} written to {} in {secs:.2} s",
                model.version(),
                out.display()
            );
            println!("test:  {}", serde_json::to_string(&test)?);
            println!("train: {}", serde_json::to_string(&train)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => crate::models_cli::simulate(args),
        Command::Train(args) => crate::models_cli::train(args),
        Command::Evaluate(args) => crate::models_cli::evaluate(args),
        Command::FakeWhatsapp {
            port,
            token,
            phone_id,
            webhook_url,
            app_secret,
            unruly_callbacks,
        } => {
            let config = whatsapp::fake::FakeConfig {
                token,
                phone_number_id: phone_id,
                webhook: webhook_url.map(|url| whatsapp::fake::WebhookTarget {
                    url,
                    app_secret: app_secret.into_bytes(),
                }),
                duplicate_callbacks: unruly_callbacks,
                out_of_order_callbacks: unruly_callbacks,
                ..Default::default()
            };
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            println!("fake WhatsApp Cloud API on http://{addr} (Ctrl-C to stop)");
            println!(
                "control: GET /_fake/messages; POST /_fake/fail {{\"code\",\"count\"}}, \
                 /_fake/outage {{\"seconds\"}} (DELETE ends it), /_fake/delay {{\"ms\"}}"
            );
            tokio::select! {
                r = whatsapp::fake::serve(addr, config) => r.with_context(|| format!("serving on {addr}"))?,
                _ = shutdown_signal() => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(args) => crate::audit_cli::run(args).await,
        Command::Users { action } => crate::auth::staff::run_users(action).await,
        Command::Loadgen { load } => {
            let report = crate::loadgen::run(&load).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(
    db: DatabaseArgs,
    model: crate::model::ModelArgs,
    bind: SocketAddr,
    demo: bool,
    read_side: bool,
) -> anyhow::Result<()> {
    let whatsapp = crate::alerting::Alerting::from_env()?;
    let auth = crate::auth::AuthSettings::from_env(demo)?;
    let skew = crate::http::clock::max_future_skew_from_env().map_err(anyhow::Error::msg)?;
    let db = db.open().await?;
    // Whatever happens from here, a private cluster we started is stopped.
    let served = serve_on(&db, model, bind, demo, read_side, whatsapp, auth, skew).await;
    db.shutdown().await;
    served
}

/// `serve` on an open database.
#[allow(clippy::too_many_arguments)]
async fn serve_on(
    db: &crate::database::Database,
    model: crate::model::ModelArgs,
    bind: SocketAddr,
    demo: bool,
    read_side: bool,
    whatsapp: crate::alerting::Alerting,
    auth: crate::auth::AuthSettings,
    skew: chrono::Duration,
) -> anyhow::Result<()> {
    let model = model.load(&db.pool).await?;
    let state = crate::http::AppState::new(db.pool.clone())
        .with_auth(&auth)
        .with_demo(demo)
        .with_alert_policy(whatsapp.policy().clone())
        .with_security(crate::http::security::SecuritySettings::from_env()?)
        .with_max_future_skew(skew);
    let state = state.clone().with_webhooks(whatsapp.webhook_state(&state));
    let day_end = crate::background::day_end_from_env()?;
    let background = read_side.then(|| {
        crate::background::Background::start(
            &state,
            &whatsapp,
            model,
            Some(state.notifier.clone()),
            day_end,
        )
    });
    if demo {
        let n = crate::demo::seed(&state.customers)
            .await
            .context("loading demo data")?;
        tracing::info!(customers = n, "demo data loaded");
        crate::demo::seed_accounts(&state.pool).await?;
        crate::demo::print_logins(auth.generated);
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("early-risk listening on http://{addr} (console: http://{addr}/, health: /readyz)");
    // TCP_NODELAY: small responses must not wait on Nagle and delayed ACKs.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    // The peer address keys the per-client sign-in rate limits.
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("shutting down");
    if let Some(background) = background {
        background.stop().await;
    }
    Ok(())
}

/// Runs an import through the command bus, prints its summary, and exits 2
/// when any line was refused.
async fn import<F, Fut>(db: DatabaseArgs, run: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(commands::CommandBus<domain::Customer>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<crate::import::ImportReport>>,
{
    let db = db.open().await?;
    let state = crate::http::AppState::new(db.pool.clone());
    let report = run(state.customers.clone()).await;
    db.shutdown().await;
    let report = report?;
    println!("{}", report.summary());
    Ok(if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
