//! The catch-up loop of one projection.
//!
//! Each step, in one transaction: take the projection's advisory lock (so two
//! processes running the same projection never both apply a batch), read its
//! checkpoint, read the next batch of the log in commit order, apply it, move
//! the checkpoint. Either all of that commits or none of it: a crash between
//! batches loses nothing and applies nothing twice.
//!
//! Between steps the runner sleeps until `NOTIFY events_appended` (or a poke
//! from writers in this process), polling as a fallback. A database error is
//! retried with backoff; an event that cannot be projected stops the runner
//! and is recorded in `projection_checkpoints.last_error` — never skipped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};
use store::events::horizon::declare_statement;
use store::events::log::read_all;
use store::events::tail::LogTail;
use store::notifier::{Notifier, CHANNEL};
use store::Checkpoint;
use tokio::sync::watch;

use crate::lag::LagTracker;
use crate::pace::Pace;
use crate::projection::{Projection, ProjectionError, StepMark, Tables};

/// How often an idle runner looks at the log without being woken.
pub const POLL: Duration = Duration::from_millis(500);

pub use crate::status::{statuses, RunnerStatus};

/// A runner for projection `P`.
pub struct Runner<P> {
    projection: Arc<P>,
    pool: PgPool,
    batch: i64,
    lag: Arc<LagTracker>,
    notifier: Option<Arc<Notifier>>,
    after_commit: Option<Arc<tokio::sync::Notify>>,
    /// Whether this runner has made sure its checkpoint row exists (once is
    /// enough: the row is never deleted).
    has_checkpoint: AtomicBool,
    /// Least time between the starts of two steps, unless a full batch says
    /// more is waiting.
    min_interval: Duration,
    /// The process's shared stretch of the log, if any.
    tail: Option<Arc<LogTail>>,
}

impl<P: Projection> Runner<P> {
    /// A runner reading `batch` events per step.
    pub fn new(projection: P, pool: PgPool, lag: Arc<LagTracker>) -> Self {
        Self {
            projection: Arc::new(projection),
            pool,
            batch: 1_000,
            lag,
            notifier: None,
            after_commit: None,
            has_checkpoint: AtomicBool::new(false),
            min_interval: Duration::ZERO,
            tail: None,
        }
    }

    /// Events per step.
    pub fn with_batch(mut self, batch: i64) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Wake on pokes from writers in this process too.
    pub fn with_notifier(mut self, notifier: Arc<Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Steps at most once per `interval` while the log trickles in (a full
    /// batch still goes on at once). Each step costs the database the same
    /// handful of statements however few events it carries: under steady
    /// ingest, stepping on every commit spent far more of the database on
    /// the runners than on the writes they follow. A short interval lets each
    /// step carry the events of several commits, for at most `interval` of
    /// extra lag.
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// Reads the log through `tail`, shared with the process's other
    /// runners: a runner behind the head takes its events from memory.
    pub fn with_tail(mut self, tail: Option<Arc<LogTail>>) -> Self {
        self.tail = tail;
        self
    }

    /// Pokes `notify` after every batch it commits (wakes the decision
    /// recorder without polling).
    pub fn with_after_commit(mut self, notify: Arc<tokio::sync::Notify>) -> Self {
        self.after_commit = Some(notify);
        self
    }

    async fn ensure_checkpoint(&self) -> Result<(), sqlx::Error> {
        if self.has_checkpoint.load(Ordering::Relaxed) {
            return Ok(());
        }
        sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(P::NAME)
            .execute(&self.pool)
            .await?;
        self.has_checkpoint.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// A step's transaction, holding the projection's lock, in one round
    /// trip. Its commit does not wait for the WAL flush: a projection is
    /// derived from the log and its checkpoint commits with it, so if the
    /// database crashed before the flush the step is lost whole and applied
    /// again — and any later synchronous commit (an event appended, a
    /// decision recorded from this step's outbox row) flushes it first.
    ///
    /// The transaction declares itself a log reader: while it writes the
    /// projection's tables it holds back no other reader (the scoring of new
    /// transactions above all), which an open writing transaction otherwise
    /// does until it commits. Declaring here, rather than only once a batch
    /// is known not to be empty, costs no round trip of its own; an empty
    /// step then spends a transaction id for nothing.
    async fn begin_locked(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool
            .begin_with(format!(
                "BEGIN; SET LOCAL synchronous_commit TO off; {}; {}",
                lock_statement(P::NAME),
                declare_statement()
            ))
            .await
    }

    /// Applies the next batch; returns how many events it applied (0 when
    /// there was nothing visible to read).
    pub async fn step(&self) -> Result<usize, ProjectionError> {
        let stepped = self.step_marked().await;
        if stepped.is_err() {
            self.projection.step_failed();
        }
        stepped
    }

    async fn step_marked(&self) -> Result<usize, ProjectionError> {
        self.ensure_checkpoint().await?;
        let mut tx = self.begin_locked().await?;
        let mark = read_mark(&mut tx, P::NAME).await?;
        let at = mark.checkpoint;
        let events = match &self.tail {
            Some(tail) => tail.read(&mut *tx, at, self.batch).await?,
            None => read_all(&mut *tx, at, self.batch).await?,
        };
        let Some(last) = events.last() else {
            tx.rollback().await?;
            return Ok(0);
        };
        self.projection.step_starts(&mark);
        let mut to = last.checkpoint;
        let mut applied = events.len();
        let mut poison = None;
        if let Err(e) = self
            .projection
            .apply(&mut tx, &Tables::live(P::TABLES), &events)
            .await
        {
            let ProjectionError::Poison { position, .. } = &e else {
                return Err(e);
            };
            // Apply everything before the poison event, so the projection
            // stops exactly on it.
            tx.rollback().await?;
            self.projection.step_failed();
            let good = events
                .iter()
                .take_while(|ev| ev.checkpoint.position != *position)
                .count();
            tx = self.begin_locked().await?;
            if good == 0 || read_mark(&mut tx, P::NAME).await?.checkpoint != at {
                return Err(e);
            }
            self.projection
                .apply(&mut tx, &Tables::live(P::TABLES), &events[..good])
                .await?;
            to = events[good - 1].checkpoint;
            applied = good;
            poison = Some(e);
        }
        let events = &events[..applied];
        let written_at: DateTime<Utc> = sqlx::query_scalar(
            "UPDATE projection_checkpoints SET tx_id = $2::text::xid8, position = $3, \
             events_applied = events_applied + $4, updated_at = now(), last_error = NULL, failed_at = NULL \
             WHERE name = $1 RETURNING updated_at",
        )
        .bind(P::NAME)
        .bind(to.tx_id.to_string())
        .bind(to.position)
        .bind(events.len() as i64)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.projection.committed(&StepMark {
            checkpoint: to,
            written_at,
        });
        if let Some(n) = &self.after_commit {
            n.notify_one();
        }
        let now = Utc::now();
        self.lag.record(
            P::NAME,
            events
                .iter()
                .map(|e| (now - e.recorded_at).num_microseconds().unwrap_or(0) as f64 / 1_000.0),
        );
        match poison {
            Some(e) => Err(e),
            None => Ok(events.len()),
        }
    }

    /// Steps until the checkpoint has passed global position `position`
    /// (tests and tools). Gives up with an error after `max_steps` steps.
    pub async fn catch_up_to(
        &self,
        position: i64,
        max_steps: usize,
    ) -> Result<(), ProjectionError> {
        for _ in 0..max_steps {
            self.ensure_checkpoint().await?;
            if self.reached(position).await? {
                return Ok(());
            }
            if self.step().await? == 0 {
                // Another transaction in the cluster holds the horizon back.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        Err(ProjectionError::Poison {
            position,
            reason: format!("{} did not reach it", P::NAME),
        })
    }

    async fn reached(&self, position: i64) -> Result<bool, sqlx::Error> {
        // Positions are not commit order: the target is reached when no
        // event at or below it is still after the checkpoint.
        sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM events e, projection_checkpoints c \
             WHERE c.name = $1 AND e.global_position <= $2 \
               AND (e.tx_id, e.global_position) > (c.tx_id, c.position))",
        )
        .bind(P::NAME)
        .bind(position)
        .fetch_one(&self.pool)
        .await
    }

    /// Runs until `shutdown` turns true or an event cannot be projected.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => Some(l),
                Err(_) => None,
            },
            Err(_) => None,
        };
        let mut backoff = Duration::from_millis(100);
        tracing::info!(projection = P::NAME, "projection runner started");
        let mut pace = Pace::new(self.min_interval);
        while !*shutdown.borrow() {
            if !pace.wait(&mut shutdown).await {
                continue;
            }
            match self.step().await {
                Ok(n) if n > 0 => {
                    backoff = Duration::from_millis(100);
                    if n as i64 >= self.batch {
                        pace.full();
                    }
                    continue;
                }
                Ok(_) => {}
                Err(ProjectionError::Poison { position, reason }) => {
                    tracing::error!(projection = P::NAME, position, %reason, "projection stopped on an event it cannot apply");
                    let _ = record_failure(
                        &self.pool,
                        P::NAME,
                        &format!("position {position}: {reason}"),
                    )
                    .await;
                    return;
                }
                Err(e @ (ProjectionError::Database(_) | ProjectionError::Unavailable(_))) => {
                    tracing::warn!(projection = P::NAME, error = %e, "projection step failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
            let notifier = self.notifier.clone();
            tokio::select! {
                _ = async {
                    match listener.as_mut() {
                        Some(l) => { let _ = l.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
                _ = async {
                    match notifier {
                        Some(n) => n.appended().await,
                        None => std::future::pending::<()>().await,
                    }
                } => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(projection = P::NAME, "projection runner stopped");
    }
}

/// Serialises everything that applies batches to one projection's tables.
pub(crate) async fn lock_projection(
    tx: &mut sqlx::PgConnection,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&lock_statement(name)).execute(tx).await?;
    Ok(())
}

/// The statement taking a projection's lock. The name is always a
/// projection's own constant (`Projection::NAME`), never input, so it is
/// written into the text: the step's opening round trip is one simple query.
fn lock_statement(name: &str) -> String {
    format!("SELECT pg_advisory_xact_lock(hashtextextended('projection:{name}', 0))")
}

/// The checkpoint row as a [`StepMark`].
async fn read_mark(conn: &mut sqlx::PgConnection, name: &str) -> Result<StepMark, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tx_id::text AS tx, position, updated_at FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(StepMark {
            checkpoint: Checkpoint::START,
            written_at: DateTime::UNIX_EPOCH,
        }),
        Some(r) => {
            let tx: String = r.try_get("tx")?;
            Ok(StepMark {
                checkpoint: Checkpoint {
                    tx_id: tx.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    position: r.try_get("position")?,
                },
                written_at: r.try_get("updated_at")?,
            })
        }
    }
}

async fn record_failure(pool: &PgPool, name: &str, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projection_checkpoints SET last_error = $2, failed_at = now() WHERE name = $1",
    )
    .bind(name)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}
