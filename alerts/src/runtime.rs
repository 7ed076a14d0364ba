//! Starts and stops the alert machinery of one process: the escalation
//! policy and the outbox projection (runners with their own checkpoints) and
//! the dispatcher, which the outbox wakes after each commit.

use std::sync::Arc;

use commands::notifier::Notifier;
use commands::CommandBus;
use domain::Customer;
use projections::lag::LagTracker;
use projections::Runner;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::adapter::Adapter;
use crate::config::{AlertPolicy, DispatchConfig};
use crate::dispatcher::Dispatcher;
use crate::outbox::AlertOutbox;
use crate::policy::EscalationPolicy;

/// What the alert machinery needs.
pub struct AlertsConfig {
    /// The database.
    pub pool: PgPool,
    /// Records alerts and their outcomes.
    pub bus: CommandBus<Customer>,
    /// Runner latency figures.
    pub lag: Arc<LagTracker>,
    /// Writers in this process poke it after commits.
    pub notifier: Option<Arc<Notifier>>,
    /// When escalations alert.
    pub policy: AlertPolicy,
    /// Pacing and retries.
    pub dispatch: DispatchConfig,
    /// Where messages go.
    pub adapter: Adapter,
    /// One-time codes to send, when this process may open them.
    pub codes: Option<crate::dispatcher::CodeSender>,
    /// The process's shared stretch of the log (`None`: each runner reads
    /// the database itself).
    pub tail: Option<Arc<commands::store::tail::LogTail>>,
}

/// The running alert machinery.
pub struct AlertsRuntime {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl AlertsRuntime {
    /// Spawns the policy, the outbox runner and the dispatcher.
    pub fn start(cfg: AlertsConfig) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let due = Arc::new(Notify::new());
        let policy = Runner::new(
            EscalationPolicy::new(cfg.bus.clone(), cfg.policy.clone()),
            cfg.pool.clone(),
            cfg.lag.clone(),
        )
        .with_min_interval(projections::supervisor::VIEW_INTERVAL)
        .with_tail(cfg.tail.clone());
        let policy = match &cfg.notifier {
            Some(n) => policy.with_notifier(n.clone()),
            None => policy,
        };
        tasks.spawn(policy.run(rx.clone()));
        let outbox = Runner::new(AlertOutbox, cfg.pool.clone(), cfg.lag.clone())
            .with_after_commit(due.clone())
            .with_min_interval(projections::supervisor::VIEW_INTERVAL)
            .with_tail(cfg.tail.clone());
        let outbox = match &cfg.notifier {
            Some(n) => outbox.with_notifier(n.clone()),
            None => outbox,
        };
        tasks.spawn(outbox.run(rx.clone()));
        let mut dispatcher = Dispatcher::new(cfg.pool, cfg.bus, cfg.adapter, cfg.dispatch, due);
        if let Some(codes) = cfg.codes {
            dispatcher = dispatcher.with_codes(codes);
        }
        tasks.spawn(dispatcher.run(rx));
        Self { shutdown, tasks }
    }

    /// Asks every task to stop after its current step and waits.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}
