//! The day-end evaluation: time passing is a signal. A customer who stops
//! paying and stops spending sends no events, yet a due date passes unpaid
//! and the windows roll; so at the end of each business day (00:00 UTC)
//! every active customer is decided again as of that moment, with the same
//! decide function as at their events (`domain::risk::decide_features`).
//!
//! A run reads the scoring projection's stored states page by page (in
//! customer order), decides each customer at the day's end against their
//! last decision (recorded, or asked for), and puts the decisions that are
//! news into the decision outbox — the recorder records them as it records
//! every other decision, so the aggregate stays the judge of what is news.
//! Each page's decisions and the run's cursor commit together: a run that
//! stops half-way resumes after its last page, and a day is decided once
//! (its decisions are named by customer and day) however often it runs.
//!
//! Skipped: a customer with no fact in the [`DORMANT_AFTER_DAYS`] before the
//! day's end (the bank's feed no longer covers them: a closed card, or
//! imported history), and one whose state already holds a fact after the
//! day's end (their event scores are newer than anything the day's end
//! could say).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use domain::features::FeatureState;
use domain::risk::{decide_features, end_of_day, DecisionPoint, LastDecision, ModelArtifact};
use serde::Serialize;
use sqlx::{PgPool, Row};
use tokio::sync::{watch, Notify};

use crate::views::state_codec;
use crate::ProjectionError;

mod page;

use page::{page_after, Stored};

/// Customers read, decided and committed together.
pub const PAGE: i64 = 5_000;
/// A customer without any fact for this many days before a day's end is not
/// evaluated at it: an active card has a statement every month, so a
/// silence this long means the feed no longer covers the account.
pub const DORMANT_AFTER_DAYS: i64 = 45;
/// The session-level advisory lock one evaluating process holds.
pub const DAY_END_LOCK: i64 = 0x0da7_e4d0_0e7a_1a7e;

/// What one run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayEndReport {
    /// The business day whose end was evaluated.
    pub day: NaiveDate,
    /// Customers decided at its end (over every run of the day).
    pub customers: i64,
    /// Decisions that were news and went to the outbox.
    pub decisions: i64,
    /// The day had been evaluated completely before this run.
    pub already_done: bool,
    /// The day is evaluated completely (false: the run was asked to stop).
    pub finished: bool,
    /// Customers this run decided.
    pub run_customers: i64,
    /// Seconds this run took.
    pub seconds: f64,
    /// `run_customers / seconds`.
    pub customers_per_second: f64,
}

/// The day-end evaluation with one model.
pub struct DayEnd {
    pool: PgPool,
    model: Arc<ModelArtifact>,
    version: String,
    page: i64,
    workers: usize,
    decided: Option<Arc<Notify>>,
    stop: Option<watch::Receiver<bool>>,
}

/// A decision to put in the outbox: id, customer, command.
type OutboxRow = (String, String, serde_json::Value);

impl DayEnd {
    /// Evaluates with `model`, deciding on every core.
    pub fn new(pool: PgPool, model: Arc<ModelArtifact>) -> Self {
        let version = model.version();
        Self {
            pool,
            model,
            version,
            page: PAGE,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            decided: None,
            stop: None,
        }
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    /// Pokes `decided` after each page that put decisions in the outbox.
    pub fn with_decided(mut self, decided: Arc<Notify>) -> Self {
        self.decided = Some(decided);
        self
    }

    /// Reads and commits `page` customers at a time (default [`PAGE`]).
    pub fn with_page(mut self, page: i64) -> Self {
        self.page = page.max(1);
        self
    }

    /// Evaluates the end of `day`, or finishes a run of it that stopped.
    /// `None`: another process is evaluating (it holds the lock).
    pub async fn run(&self, day: NaiveDate) -> Result<Option<DayEndReport>, ProjectionError> {
        let started = Instant::now();
        let mut conn = self.pool.acquire().await?;
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(DAY_END_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !held {
            return Ok(None);
        }
        let result = self.run_held(day, started).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(DAY_END_LOCK)
            .execute(&mut *conn)
            .await;
        if unlocked.is_err() {
            // The lock goes with the session: do not hand it back to the pool.
            conn.detach();
        }
        result.map(Some)
    }

    async fn run_held(
        &self,
        day: NaiveDate,
        started: Instant,
    ) -> Result<DayEndReport, ProjectionError> {
        sqlx::query(
            "INSERT INTO day_end_runs (day, model_version) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(&self.version)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT cursor, customers, decisions, finished_at IS NOT NULL AS done FROM day_end_runs WHERE day = $1",
        )
        .bind(day)
        .fetch_one(&self.pool)
        .await?;
        let mut cursor: String = row.try_get("cursor")?;
        let mut report = DayEndReport {
            day,
            customers: row.try_get("customers")?,
            decisions: row.try_get("decisions")?,
            already_done: row.try_get("done")?,
            finished: false,
            run_customers: 0,
            seconds: 0.0,
            customers_per_second: 0.0,
        };
        report.finished = report.already_done;
        let end = end_of_day(day);
        // The next page is read while this one is decided and committed:
        // the database and the deciding threads work side by side.
        let mut next = (!report.already_done).then(|| self.prefetch(&cursor, end));
        // A run asked to stop ends after its page; the next one resumes.
        while !report.already_done && !self.stopping() {
            let Some(fetching) = next.take() else { break };
            let stored = fetching
                .await
                .map_err(|e| poison(format!("a day-end read failed: {e}")))??;
            let Some(last) = stored.last() else {
                sqlx::query("UPDATE day_end_runs SET finished_at = now() WHERE day = $1")
                    .bind(day)
                    .execute(&self.pool)
                    .await?;
                report.finished = true;
                break;
            };
            cursor = last.id.clone();
            next = Some(self.prefetch(&cursor, end));
            let (evaluated, outbox) = self.decide_page(stored, day, end)?;
            self.commit_page(day, &cursor, evaluated, &outbox).await?;
            report.customers += evaluated;
            report.run_customers += evaluated;
            report.decisions += outbox.len() as i64;
            if let (false, Some(decided)) = (outbox.is_empty(), &self.decided) {
                decided.notify_one();
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        if report.seconds > 0.0 {
            report.customers_per_second = report.run_customers as f64 / report.seconds;
        }
        Ok(report)
    }

    /// Starts reading the page after `cursor`.
    fn prefetch(
        &self,
        cursor: &str,
        end: DateTime<Utc>,
    ) -> tokio::task::JoinHandle<Result<Vec<Stored>, ProjectionError>> {
        tokio::spawn(page_after(
            self.pool.clone(),
            cursor.to_owned(),
            end,
            self.page,
        ))
    }

    /// Decides a page, split over the workers; the outbox rows come back in
    /// customer order.
    fn decide_page(
        &self,
        stored: Vec<Stored>,
        day: NaiveDate,
        end: DateTime<Utc>,
    ) -> Result<(i64, Vec<OutboxRow>), ProjectionError> {
        let chunk = stored.len().div_ceil(self.workers).max(1);
        let results: Vec<Result<(i64, Vec<OutboxRow>), ProjectionError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = stored
                    .chunks(chunk)
                    .map(|part| scope.spawn(move || self.decide_some(part, day, end)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(poison("a day-end worker panicked".into())))
                    })
                    .collect()
            });
        let mut evaluated = 0;
        let mut outbox = Vec::new();
        for r in results {
            let (n, rows) = r?;
            evaluated += n;
            outbox.extend(rows);
        }
        Ok((evaluated, outbox))
    }

    fn decide_some(
        &self,
        part: &[Stored],
        day: NaiveDate,
        end: DateTime<Utc>,
    ) -> Result<(i64, Vec<OutboxRow>), ProjectionError> {
        let mut evaluated = 0;
        let mut outbox = Vec::new();
        for s in part {
            let state: FeatureState =
                state_codec::decode(s.state_bin.as_deref(), s.state_json.as_deref())
                    .map_err(|e| poison(format!("stored feature state of {}: {e}", s.id)))?;
            if state.latest_event_at().is_none_or(|at| at > end) {
                continue;
            }
            evaluated += 1;
            let point = DecisionPoint::at_day_end(&s.id, s.trigger_sequence, s.checkpoint, day);
            // What was last decided: asked for, or else recorded (as the
            // scoring projection reads its risk row).
            let last = match &s.requested {
                Some((band, rules)) => LastDecision { band: *band, rules },
                None => LastDecision {
                    band: s.recorded_band,
                    rules: &s.recorded_rules,
                },
            };
            let decided = decide_features(
                &self.model,
                &self.version,
                state.features(end),
                &point,
                Some(last),
            );
            if let Some(command) = decided.decision {
                let json = serde_json::to_value(&command)
                    .map_err(|e| poison(format!("decision does not serialise: {e}")))?;
                outbox.push((command.decision_id, s.id.clone(), json));
            }
        }
        Ok((evaluated, outbox))
    }

    /// The page's decisions and the run's progress, in one transaction.
    async fn commit_page(
        &self,
        day: NaiveDate,
        cursor: &str,
        evaluated: i64,
        outbox: &[OutboxRow],
    ) -> Result<(), ProjectionError> {
        let mut tx = self.pool.begin().await?;
        if !outbox.is_empty() {
            let ids: Vec<&str> = outbox.iter().map(|r| r.0.as_str()).collect();
            let customers: Vec<&str> = outbox.iter().map(|r| r.1.as_str()).collect();
            let commands: Vec<&serde_json::Value> = outbox.iter().map(|r| &r.2).collect();
            sqlx::query(
                "INSERT INTO decision_outbox (decision_id, customer_id, command) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[]) \
                 ON CONFLICT (decision_id) DO NOTHING",
            )
            .bind(&ids)
            .bind(&customers)
            .bind(&commands)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE day_end_runs SET cursor = $2, customers = customers + $3, \
             decisions = decisions + $4 WHERE day = $1",
        )
        .bind(day)
        .bind(cursor)
        .bind(evaluated)
        .bind(outbox.len() as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Evaluates the last day that has ended by `clock()` whenever it has
    /// not been (at start, then at each 00:00 UTC) until `shutdown`. A
    /// failed run is logged and tried again a minute later.
    pub async fn run_daily(
        mut self,
        mut shutdown: watch::Receiver<bool>,
        clock: fn() -> DateTime<Utc>,
    ) {
        self.stop = Some(shutdown.clone());
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = clock();
            let wait = match now.date_naive().pred_opt() {
                Some(day) => match self.run(day).await {
                    Ok(Some(r)) if r.finished && !r.already_done => {
                        tracing::info!(
                            day = %r.day,
                            customers = r.customers,
                            decisions = r.decisions,
                            seconds = r.seconds,
                            "day-end evaluation finished"
                        );
                        until_next_day(clock())
                    }
                    Ok(_) => until_next_day(clock()),
                    Err(e) => {
                        tracing::warn!(error = %e, %day, "day-end evaluation failed; retrying in a minute");
                        Duration::from_secs(60)
                    }
                },
                None => until_next_day(now),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Time from `now` to a second after the next 00:00 UTC.
fn until_next_day(now: DateTime<Utc>) -> Duration {
    let next = end_of_day(now.date_naive());
    (next - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .saturating_add(Duration::from_secs(1))
}

fn poison(reason: String) -> ProjectionError {
    ProjectionError::Poison {
        position: 0,
        reason,
    }
}
