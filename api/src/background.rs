//! What runs behind the API in one process: the read side (projection
//! runners, scoring, the decision recorder) and the alert machinery (policy,
//! outbox, dispatcher), started together over one shared stretch of the log
//! so each event is read from the database once for all of them.

use std::sync::Arc;

use commands::notifier::Notifier;
use commands::store::tail::LogTail;
use domain::risk::ModelArtifact;
use projections::supervisor::{ReadSide, ReadSideConfig};

use crate::alerting::Alerting;
use crate::http::AppState;

/// The running read side and alert machinery.
pub struct Background {
    read_side: ReadSide,
    alerts: alerts::AlertsRuntime,
}

impl Background {
    /// Starts both. `notifier` wakes the runners after this process's own
    /// commits (none for a process that only follows the log).
    pub fn start(
        state: &AppState,
        whatsapp: &Alerting,
        model: Arc<ModelArtifact>,
        notifier: Option<Arc<Notifier>>,
    ) -> Self {
        let tail = Some(Arc::new(LogTail::default()));
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
        }
    }

    /// Stops the alerts, then the read side, each after its current batch.
    pub async fn stop(self) {
        self.alerts.stop().await;
        self.read_side.stop().await;
    }
}
