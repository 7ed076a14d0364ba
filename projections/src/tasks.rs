//! The one way this process runs its background loops: a group of tasks
//! that share a stop signal ([`Tasks`]), and how every runner in the
//! process is woken and reads the log ([`Wiring`]). The read side, the alert
//! machinery and the day-end evaluation are all started through these, so
//! they are woken, read the log and stop the same way.

use std::future::Future;
use std::sync::Arc;

use store::events::tail::LogTail;
use store::notifier::Notifier;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::{Projection, Runner};

/// How a process's runners are woken and read the log.
#[derive(Clone, Default)]
pub struct Wiring {
    /// Writers in this process poke it after commits (none for a process
    /// that only follows the log: its runners poll and listen).
    pub notifier: Option<Arc<Notifier>>,
    /// The process's shared stretch of the log (none: each runner reads the
    /// database itself).
    pub tail: Option<Arc<LogTail>>,
}

impl Wiring {
    /// `runner`, woken and reading the log as this process's runners are.
    pub fn apply<P: Projection>(&self, runner: Runner<P>) -> Runner<P> {
        let runner = match &self.notifier {
            Some(n) => runner.with_notifier(n.clone()),
            None => runner,
        };
        runner.with_tail(self.tail.clone())
    }
}

/// Tasks that stop together.
pub struct Tasks {
    shutdown: watch::Sender<bool>,
    running: JoinSet<()>,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new()
    }
}

impl Tasks {
    /// No task yet.
    pub fn new() -> Self {
        Self {
            shutdown: watch::channel(false).0,
            running: JoinSet::new(),
        }
    }

    /// The stop signal, for a loop started with [`Tasks::spawn`].
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Runs `task` until it ends (it should end soon after the stop signal).
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.running.spawn(task);
    }

    /// Runs `runner`, wired as `wiring` says, until the stop signal.
    pub fn spawn_runner<P: Projection>(&mut self, runner: Runner<P>, wiring: &Wiring) {
        let stop = self.stop_signal();
        self.running.spawn(wiring.apply(runner).run(stop));
    }

    /// Asks every task to stop after its current step and waits for all.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.running.join_next().await.is_some() {}
    }
}
