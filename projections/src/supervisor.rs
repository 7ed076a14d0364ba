//! Starts every projection runner of the read side and stops them together:
//! used by `serve` (in-process) and by `early-risk project` (a separate
//! process, so the read side can scale apart from the API).

use std::sync::Arc;

use commands::notifier::Notifier;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::lag::LagTracker;
use crate::rebuild::{rebuild, RebuildReport};
use crate::views::activity::CustomerActivity;
use crate::views::features::CustomerFeatures;
use crate::views::overview::CustomerOverview;
use crate::{Projection, ProjectionError, Runner};

/// Names of every projection, for `rebuild --projection`.
pub const PROJECTIONS: &[&str] = &[
    CustomerOverview::NAME,
    CustomerActivity::NAME,
    CustomerFeatures::NAME,
];

/// The running read side.
pub struct ReadSide {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl ReadSide {
    /// Spawns a runner per projection.
    pub fn start(pool: &PgPool, lag: Arc<LagTracker>, notifier: Option<Arc<Notifier>>) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        spawn(
            &mut tasks,
            Runner::new(CustomerOverview, pool.clone(), lag.clone()),
            &notifier,
            rx.clone(),
        );
        spawn(
            &mut tasks,
            Runner::new(CustomerActivity, pool.clone(), lag.clone()),
            &notifier,
            rx.clone(),
        );
        spawn(
            &mut tasks,
            Runner::new(CustomerFeatures, pool.clone(), lag),
            &notifier,
            rx,
        );
        Self { shutdown, tasks }
    }

    /// Asks every runner to stop after its current batch and waits.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

fn spawn<P: Projection>(
    tasks: &mut JoinSet<()>,
    runner: Runner<P>,
    notifier: &Option<Arc<Notifier>>,
    rx: watch::Receiver<bool>,
) {
    let runner = match notifier {
        Some(n) => runner.with_notifier(n.clone()),
        None => runner,
    };
    tasks.spawn(runner.run(rx));
}

/// Rebuilds one projection by name, or all of them.
pub async fn rebuild_named(
    pool: &PgPool,
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
        reports.push(rebuild(pool, &CustomerFeatures, batch, progress).await?);
    }
    Ok(reports)
}
