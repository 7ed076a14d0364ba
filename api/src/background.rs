//! What runs behind the API in one process: the read side (projection
//! runners, scoring, the decision recorder), the day-end evaluation (every
//! active customer decided again at each 00:00 UTC; `DAY_END=off` turns it
//! off) and the alert machinery (policy, outbox, dispatcher), started
//! together over one shared stretch of the log so each event is read from
//! the database once for all of them.

use std::sync::Arc;

use domain::risk::ModelArtifact;
use projections::day_end::DayEnd;
use projections::supervisor::{ReadSide, ReadSideConfig};
use projections::tasks::Tasks;
use store::events::tail::LogTail;
use store::notifier::Notifier;

use crate::alerting::Alerting;
use crate::http::AppState;

/// The running read side and alert machinery.
pub struct Background {
    read_side: ReadSide,
    alerts: alerts::AlertsRuntime,
    day_end: Tasks,
}

/// Whether the day-end evaluation runs: `DAY_END` is `on` (the default) or
/// `off`.
pub fn day_end_from_env() -> anyhow::Result<bool> {
    match std::env::var("DAY_END").ok().as_deref() {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => anyhow::bail!("DAY_END must be on or off, not {other:?}"),
    }
}

impl Background {
    /// Starts both. `notifier` wakes the runners after this process's own
    /// commits (none for a process that only follows the log).
    pub fn start(
        state: &AppState,
        whatsapp: &Alerting,
        model: Arc<ModelArtifact>,
        notifier: Option<Arc<Notifier>>,
        day_end: bool,
    ) -> Self {
        let tail = Some(Arc::new(LogTail::default()));
        let mut day_end_tasks = Tasks::new();
        if day_end {
            let job = DayEnd::new(state.pool.clone(), model.clone());
            let stop = day_end_tasks.stop_signal();
            day_end_tasks.spawn(job.run_daily(stop, chrono::Utc::now));
        }
        let read_side = ReadSide::start(ReadSideConfig {
            pool: state.pool.clone(),
            lag: state.lag.clone(),
            notifier,
            model,
            bus: state.customers.clone(),
            tail: tail.clone(),
        });
        Self {
            read_side,
            alerts: whatsapp.start(state, tail),
            day_end: day_end_tasks,
        }
    }

    /// Stops the day-end evaluation (after its current page), the alerts,
    /// then the read side, each after its current batch.
    pub async fn stop(self) {
        self.day_end.stop().await;
        self.alerts.stop().await;
        self.read_side.stop().await;
    }
}
