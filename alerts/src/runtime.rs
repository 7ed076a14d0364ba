//! Starts and stops the alert machinery of one process: the escalation
//! policy and the outbox projection (runners with their own checkpoints) and
//! the dispatcher, which the outbox wakes after each commit.

use std::sync::Arc;

use domain::Customer;
use projections::lag::LagTracker;
use projections::tasks::{Tasks, Wiring};
use projections::Runner;
use sqlx::PgPool;
use store::notifier::Notifier;
use store::CommandBus;
use tokio::sync::Notify;

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
    pub tail: Option<Arc<store::events::tail::LogTail>>,
}

/// The running alert machinery.
pub struct AlertsRuntime {
    tasks: Tasks,
}

impl AlertsRuntime {
    /// Spawns the policy, the outbox runner and the dispatcher.
    pub fn start(cfg: AlertsConfig) -> Self {
        let mut tasks = Tasks::new();
        let due = Arc::new(Notify::new());
        let wiring = Wiring {
            notifier: cfg.notifier.clone(),
            tail: cfg.tail.clone(),
        };
        tasks.spawn_runner(
            Runner::new(
                EscalationPolicy::new(cfg.bus.clone(), cfg.policy.clone()),
                cfg.pool.clone(),
                cfg.lag.clone(),
            )
            .with_min_interval(projections::supervisor::VIEW_INTERVAL),
            &wiring,
        );
        tasks.spawn_runner(
            Runner::new(AlertOutbox, cfg.pool.clone(), cfg.lag.clone())
                .with_after_commit(due.clone())
                .with_min_interval(projections::supervisor::VIEW_INTERVAL),
            &wiring,
        );
        let mut dispatcher = Dispatcher::new(cfg.pool, cfg.bus, cfg.adapter, cfg.dispatch, due);
        if let Some(codes) = cfg.codes {
            dispatcher = dispatcher.with_codes(codes);
        }
        let stop = tasks.stop_signal();
        tasks.spawn(dispatcher.run(stop));
        Self { tasks }
    }

    /// Asks every task to stop after its current step and waits.
    pub async fn stop(self) {
        self.tasks.stop().await;
    }
}
