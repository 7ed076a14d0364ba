//! `early-risk audit …`: replay recorded risk decisions against the event log
//! and check the log's hash chain (the library is the `audit` crate).
//!
//! `verify` and `verify-log` exit with status 1 when they find a mismatch or
//! a broken link, so they can gate a pipeline; `replay`, `decision`,
//! `decisions` and `state` print JSON for one question.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use audit::asof::{state_as_of, Cutoff};
use audit::models::ModelCache;
use audit::replay::Verdict;
use audit::verify::{plan, verify_customers, VerifyOptions};
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::database::DatabaseArgs;

/// `early-risk audit` options.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Database options.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// What to audit.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// Audit subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Replay recorded decisions (all, one customer's, or those since a
    /// date) with the model each names, and compare bit for bit.
    Verify {
        /// Only this customer.
        #[arg(long)]
        customer: Option<String>,
        /// Only decisions whose as-of (business time) is on or after this
        /// date (YYYY-MM-DD) or time (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
        /// Chunks of customers replayed at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Customers read per query.
        #[arg(long, default_value_t = 32)]
        chunk: usize,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check every stream's hash chain; report the first broken link.
    VerifyLog {
        /// Events read per query.
        #[arg(long, default_value_t = 10_000)]
        page: i64,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Replay one decision and print the verdict as JSON.
    Replay {
        /// Decision id (`customer:position`).
        decision_id: String,
    },
    /// Print one decision's full record as JSON.
    Decision {
        /// Decision id (`customer:position`).
        decision_id: String,
        /// Later events to list.
        #[arg(long, default_value_t = audit::record::DEFAULT_FOLLOW_LIMIT)]
        follow: usize,
    },
    /// Print every decision record of a customer as JSON.
    Decisions {
        /// Customer id.
        customer: String,
        /// Later events to list per decision.
        #[arg(long, default_value_t = 20)]
        follow: usize,
    },
    /// Print a customer's features, band and decision in force at a moment
    /// or a log position, as JSON.
    State {
        /// Customer id.
        customer: String,
        /// A moment (YYYY-MM-DD or RFC 3339) in recording time: what the
        /// system knew then.
        #[arg(long, value_parser = parse_time, conflicts_with_all = ["position", "occurred_by"], required_unless_present_any = ["position", "occurred_by"])]
        at: Option<DateTime<Utc>>,
        /// A moment in business time: the facts that occurred by then, as
        /// known now.
        #[arg(long, value_parser = parse_time, conflicts_with = "position")]
        occurred_by: Option<DateTime<Utc>>,
        /// A global log position (everything up to that event, commit order).
        #[arg(long)]
        position: Option<i64>,
    },
}

/// `2026-03-01` (midnight UTC) or an RFC 3339 time.
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| format!("{s}: expected YYYY-MM-DD or an RFC 3339 time"))
}

/// Runs an audit subcommand.
pub async fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let db = args.db.open().await?;
    let result = dispatch(&db.pool, args.command).await;
    db.shutdown().await;
    result
}

async fn dispatch(pool: &sqlx::PgPool, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            customer,
            since,
            jobs,
            chunk,
            json,
            quiet,
        } => {
            let opts = VerifyOptions {
                customer,
                since,
                jobs,
                chunk,
            };
            verify(pool, &opts, json, quiet).await
        }
        AuditCommand::VerifyLog { page, quiet } => verify_log(pool, page, quiet).await,
        AuditCommand::Replay { decision_id } => {
            let started = Instant::now();
            let replay =
                audit::replay::replay_decision(pool, &ModelCache::new(), &decision_id).await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            let mut out = serde_json::to_value(&replay)?;
            out["elapsed_ms"] = serde_json::json!(ms);
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(exit(replay.verdict.is_match()))
        }
        AuditCommand::Decision {
            decision_id,
            follow,
        } => {
            let record = audit::record::decision_record(pool, &decision_id, follow).await?;
            println!("{}", serde_json::to_string_pretty(&record)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Decisions { customer, follow } => {
            let records = audit::record::customer_decisions(pool, &customer, follow).await?;
            println!("{}", serde_json::to_string_pretty(&records)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::State {
            customer,
            at,
            occurred_by,
            position,
        } => {
            let cutoff = match (at, occurred_by, position) {
                (Some(at), _, _) => Cutoff::At(at),
                (None, Some(t), _) => Cutoff::OccurredBy(t),
                (None, None, Some(p)) => Cutoff::Position(p),
                (None, None, None) => anyhow::bail!("give --at, --occurred-by or --position"),
            };
            let state = state_as_of(pool, &customer, cutoff, Vec::new()).await?;
            println!("{}", serde_json::to_string_pretty(&state)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn bar(total: u64, quiet: bool, unit: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

async fn verify(
    pool: &sqlx::PgPool,
    opts: &VerifyOptions,
    json: bool,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let planned = plan(pool, opts).await.context("finding the decisions")?;
    let total: i64 = planned.iter().map(|(_, n)| n).sum();
    let bar = bar(total.max(0) as u64, quiet, "decisions");
    let progress = {
        let bar = bar.clone();
        Arc::new(move |o: &audit::verify::CustomerOutcome| {
            bar.inc(o.checked as u64);
            for m in &o.mismatches {
                bar.println(format!("mismatch: {} ({})", m.decision_id, m.customer_id));
            }
        })
    };
    let customers = planned.into_iter().map(|(c, _)| c).collect();
    let report = verify_customers(pool, opts, customers, progress).await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(exit(report.mismatches.is_empty()));
    }
    for m in report.mismatches.iter().take(50) {
        println!(
            "MISMATCH {} (customer {}, event #{}, model {})",
            m.decision_id, m.customer_id, m.sequence, m.model_version
        );
        if let Verdict::Mismatch(diffs) = &m.verdict {
            for d in diffs {
                println!("  {d}");
            }
        }
    }
    if report.mismatches.len() > 50 {
        println!(
            "… and {} more mismatches (--json lists all)",
            report.mismatches.len() - 50
        );
    }
    let s = &report.summary;
    println!("decisions checked  {}", s.decisions);
    println!("matched            {}", s.matched);
    println!("mismatched         {}", s.mismatched);
    println!("customers          {}", s.customers);
    println!(
        "time               {:.2} s ({:.0} decisions/s)",
        s.seconds, s.decisions_per_sec
    );
    Ok(exit(s.mismatched == 0))
}

async fn verify_log(pool: &sqlx::PgPool, page: i64, quiet: bool) -> anyhow::Result<ExitCode> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    let bar = bar(total.max(0) as u64, quiet, "events");
    let report = audit::chain::verify_log(pool, page, |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    println!(
        "{} events in {} streams checked in {:.2} s ({:.0} events/s)",
        report.events, report.streams, report.seconds, report.events_per_sec
    );
    match &report.first_broken {
        None => println!("hash chain intact; digest {}", report.digest),
        Some(l) => {
            println!(
                "BROKEN: {} stream(s); first broken link at {} {} #{} (global position {}): {}",
                report.broken_streams,
                l.aggregate_type,
                l.aggregate_id,
                l.sequence,
                l.global_position,
                l.problem
            );
            println!("  expected {}", l.expected);
            println!("  stored   {}", l.stored);
            for other in report.broken.iter().filter(|o| *o != l).take(20) {
                println!(
                    "  also {} #{} (global position {}): {}",
                    other.aggregate_id, other.sequence, other.global_position, other.problem
                );
            }
        }
    }
    Ok(exit(report.intact))
}
