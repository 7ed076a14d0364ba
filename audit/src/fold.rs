//! [`ScoringFold`]: a customer's stream folded exactly as the scoring
//! projection (`projections/src/views/features.rs`) folds it, so a replay
//! uses the events the projection saw and nothing else.
//!
//! What the projection does, and this mirrors:
//! - it reads the log in commit order `(tx_id, global_position)`, and only
//!   transactions older than every running one, so when it scored at
//!   checkpoint `cp` it had seen exactly the customer's events `<= cp` — all
//!   of them, even those with a larger global position committed earlier,
//!   and only the first part of a transaction its batch limit cut in two;
//! - it skips an event whose sequence it has already passed;
//! - it folds only behaviour ([`CustomerEvent::is_behaviour`]): decisions
//!   and alerts are the bank's reaction, never evidence, and never a
//!   trigger;
//! - the trigger of a score is the last behaviour event folded, the
//!   decision's checkpoint is that event's, and features are computed as of
//!   the latest business time folded, never the clock.
//!
//! The features themselves come from the domain code ([`FeatureState`]),
//! the same code the projection and the trainer run.

use chrono::{DateTime, Utc};
use domain::features::{features_from_history, FeatureState, Features};
use domain::CustomerEvent;
use store::Checkpoint;

use crate::log::LogEvent;

/// The event a score was about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    /// Its place in commit order (the decision's checkpoint).
    pub checkpoint: Checkpoint,
    /// Its sequence in the stream.
    pub sequence: i64,
    /// Its type.
    pub event_type: String,
}

/// A customer's stream folded as the scoring projection folds it.
#[derive(Clone, Debug, Default)]
pub struct ScoringFold {
    state: FeatureState,
    last_sequence: i64,
    trigger: Option<Trigger>,
    folded: usize,
}

impl ScoringFold {
    /// Folds the next event in commit order. Returns whether it counted as
    /// behaviour (a new trigger).
    pub fn apply(&mut self, e: &LogEvent) -> bool {
        if e.sequence <= self.last_sequence {
            return false;
        }
        self.last_sequence = e.sequence;
        self.folded += 1;
        if !e.event.is_behaviour() {
            return false;
        }
        self.state.apply(&e.event);
        self.trigger = Some(Trigger {
            checkpoint: e.checkpoint,
            sequence: e.sequence,
            event_type: e.event_type.clone(),
        });
        true
    }

    /// The last behaviour event folded.
    pub fn trigger(&self) -> Option<&Trigger> {
        self.trigger.as_ref()
    }

    /// Events read (decisions and alerts included, skipped repeats not).
    pub fn folded(&self) -> usize {
        self.folded
    }

    /// The as-of time of the features: the latest business time folded.
    pub fn as_of(&self) -> Option<DateTime<Utc>> {
        self.state.latest_event_at()
    }

    /// The features as of [`Self::as_of`], as the projection computes them.
    pub fn features(&self) -> Option<Features> {
        self.as_of().map(|at| self.state.features(at))
    }

    /// The moment a decision of the folded state is made at — `day_end` for a
    /// day-end decision, else [`Self::as_of`] — with the features as of it.
    /// `None` before any behaviour.
    pub fn features_at(&self, day_end: Option<DateTime<Utc>>) -> Option<(DateTime<Utc>, Features)> {
        let latest = self.as_of()?;
        let at = day_end.unwrap_or(latest);
        Some((at, self.state.features(at)))
    }
}

/// The behaviour events the projection had folded once it reached `cp`, in
/// the order it folded them, and the trigger (the last of them).
pub fn behaviour_until(
    events: &[LogEvent],
    cp: Checkpoint,
) -> (Vec<&CustomerEvent>, Option<Trigger>) {
    let mut last_sequence = 0;
    let mut out = Vec::new();
    let mut trigger = None;
    for e in events.iter().filter(|e| e.checkpoint <= cp) {
        if e.sequence <= last_sequence {
            continue;
        }
        last_sequence = e.sequence;
        if !e.event.is_behaviour() {
            continue;
        }
        out.push(&e.event);
        trigger = Some(Trigger {
            checkpoint: e.checkpoint,
            sequence: e.sequence,
            event_type: e.event_type.clone(),
        });
    }
    (out, trigger)
}

/// The reference computation for one decision: [`features_from_history`]
/// over [`behaviour_until`], as of `day_end` for a day-end decision, else
/// the latest business time among them.
/// Gives the same bits as [`ScoringFold`] (the domain's
/// incremental-equals-reference property); replaying one decision uses this,
/// replaying a whole stream the fold.
pub fn reference_features(
    events: &[LogEvent],
    cp: Checkpoint,
    day_end: Option<DateTime<Utc>>,
) -> (Option<(DateTime<Utc>, Features)>, Option<Trigger>) {
    let (behaviour, trigger) = behaviour_until(events, cp);
    let latest = behaviour.iter().map(|e| e.occurred_at()).max();
    let as_of = latest.map(|l| day_end.unwrap_or(l));
    let features = as_of.map(|at| (at, features_from_history(behaviour.iter().copied(), at)));
    (features, trigger)
}
