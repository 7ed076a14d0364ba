//! Starts every projection runner of the read side, and the decision
//! recorder, and stops them together: used by `serve` (in-process) and by
//! `early-risk project` (a separate process, so the read side can scale apart
//! from the API).

use std::sync::Arc;
use std::time::Duration;

use domain::risk::ModelArtifact;
use domain::Customer;
use sqlx::PgPool;
use store::events::tail::LogTail;
use store::notifier::Notifier;
use store::CommandBus;
use tokio::sync::Notify;

use crate::lag::LagTracker;
use crate::rebuild::{rebuild, RebuildReport};
use crate::recorder::DecisionRecorder;
use crate::tasks::{Tasks, Wiring};
use crate::views::activity::CustomerActivity;
use crate::views::alerts::CustomerAlerts;
use crate::views::decisions::RiskDecisions;
use crate::views::overview::CustomerOverview;
use crate::views::scoring::CustomerFeatures;
use crate::{Projection, ProjectionError, Runner};

/// How often the views (and the alert policy) follow the log under steady
/// ingest, at most: tens of milliseconds of lag — nothing to a dashboard or
/// to a WhatsApp message — buy steps that each carry many commits. Stepping
/// on every commit cost the database more CPU than the writes themselves
/// (figures in `docs/scaling.md`, "Tuning constants").
pub const VIEW_INTERVAL: Duration = Duration::from_millis(50);

/// The same for the decision recorder, which is on the path from a
/// transaction to its decision and so steps more often. Scoring, on the
/// same path, is not paced at all: it keeps its states in memory between
/// steps, so a step costs little more than its writes, and pacing it
/// added to every decision's latency for little CPU saved (figures in
/// `docs/scaling.md`, "Tuning constants").
pub const DECISION_INTERVAL: Duration = Duration::from_millis(5);

/// Names of every projection, for `rebuild --projection`.
pub const PROJECTIONS: &[&str] = &[
    CustomerOverview::NAME,
    CustomerActivity::NAME,
    CustomerFeatures::NAME,
    RiskDecisions::NAME,
    CustomerAlerts::NAME,
];

/// What the read side needs.
pub struct ReadSideConfig {
    /// The database.
    pub pool: PgPool,
    /// Where runners report their latency.
    pub lag: Arc<LagTracker>,
    /// Writers in this process poke it after commits.
    pub notifier: Option<Arc<Notifier>>,
    /// The model that scores.
    pub model: Arc<ModelArtifact>,
    /// Records decisions.
    pub bus: CommandBus<Customer>,
    /// The process's shared stretch of the log (`None`: each runner reads
    /// the database itself).
    pub tail: Option<Arc<LogTail>>,
}

/// The running read side.
pub struct ReadSide {
    tasks: Tasks,
}

impl ReadSide {
    /// Spawns a runner per projection and the decision recorder.
    pub fn start(cfg: ReadSideConfig) -> Self {
        let mut tasks = Tasks::new();
        let decided = Arc::new(Notify::new());
        let wiring = Wiring {
            notifier: cfg.notifier.clone(),
            tail: cfg.tail.clone(),
        };
        let (pool, lag) = (&cfg.pool, &cfg.lag);
        tasks.spawn_runner(
            Runner::new(CustomerOverview, pool.clone(), lag.clone())
                .with_min_interval(VIEW_INTERVAL),
            &wiring,
        );
        tasks.spawn_runner(
            Runner::new(CustomerActivity, pool.clone(), lag.clone())
                .with_min_interval(VIEW_INTERVAL),
            &wiring,
        );
        tasks.spawn_runner(
            Runner::new(RiskDecisions, pool.clone(), lag.clone()).with_min_interval(VIEW_INTERVAL),
            &wiring,
        );
        tasks.spawn_runner(
            Runner::new(CustomerAlerts, pool.clone(), lag.clone()).with_min_interval(VIEW_INTERVAL),
            &wiring,
        );
        // Scoring wakes the recorder after a step that asked for decisions.
        let scoring = Runner::new(
            CustomerFeatures::new(cfg.model.clone()).with_decided(decided.clone()),
            pool.clone(),
            lag.clone(),
        );
        tasks.spawn_runner(scoring, &wiring);
        let recorder =
            // Decisions get a group-commit lane of their own (same stream
            // cache), so they do not queue behind the ingest's groups.
            DecisionRecorder::new(cfg.pool, cfg.bus.with_group_commit(1), decided)
                .with_min_interval(DECISION_INTERVAL)
                .with_lag(cfg.lag);
        let stop = tasks.stop_signal();
        tasks.spawn(recorder.run(stop));
        Self { tasks }
    }

    /// Asks every task to stop after its current batch and waits.
    pub async fn stop(self) {
        self.tasks.stop().await;
    }
}

/// Rebuilds one projection by name, or all of them.
pub async fn rebuild_named(
    pool: &PgPool,
    model: Arc<ModelArtifact>,
    name: Option<&str>,
    batch: i64,
    progress: bool,
) -> Result<Vec<RebuildReport>, ProjectionError> {
    let wanted = |n: &str| name.is_none_or(|w| w == n);
    let mut reports = Vec::new();
    if wanted(CustomerOverview::NAME) {
        reports.push(rebuild(pool, &CustomerOverview, batch, progress).await?);
    }
    if wanted(CustomerActivity::NAME) {
        reports.push(rebuild(pool, &CustomerActivity, batch, progress).await?);
    }
    if wanted(CustomerFeatures::NAME) {
        reports.push(rebuild(pool, &CustomerFeatures::new(model), batch, progress).await?);
    }
    if wanted(RiskDecisions::NAME) {
        reports.push(rebuild(pool, &RiskDecisions, batch, progress).await?);
    }
    if wanted(CustomerAlerts::NAME) {
        reports.push(rebuild(pool, &CustomerAlerts, batch, progress).await?);
    }
    Ok(reports)
}
