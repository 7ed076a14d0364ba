//! The newest stretch of the log, read once and shared by every reader in the
//! process.
//!
//! Each projection runner follows the same log from nearly the same place.
//! Read separately, the same events were fetched from PostgreSQL and turned
//! from jsonb into text once per runner: under steady ingest the log reads
//! were the read side's costliest statements. A [`LogTail`] keeps the
//! stretch most recently read; a runner whose checkpoint falls inside it
//! takes its events from memory, and only the runner at the head reads the
//! database (and so extends the stretch for the others).
//!
//! Why a stretch may be reused: [`read_all`] returns only events of
//! transactions older than the oldest one running. Such a transaction can no
//! longer add an event anywhere, and every new transaction gets a larger id,
//! so the events it returned between two checkpoints are all the events the
//! log will ever hold between them. A stretch is kept only while it stays
//! contiguous: each read that extends it starts exactly at its end.

use std::collections::VecDeque;
use std::sync::Mutex;

use sqlx::PgExecutor;

use super::log::{read_all, Checkpoint, RecordedEvent};

/// Events kept by default: seconds of ingest at thousands of events a
/// second, so a runner pacing at tens of milliseconds finds its events here.
pub const DEFAULT_CAPACITY: usize = 20_000;

/// The shared stretch of the log.
#[derive(Debug)]
pub struct LogTail {
    stretch: Mutex<Stretch>,
    capacity: usize,
}

/// The events strictly after `from`, in commit order, with none missing.
#[derive(Debug, Default)]
struct Stretch {
    from: Checkpoint,
    events: VecDeque<RecordedEvent>,
}

impl Stretch {
    /// The checkpoint of the last event held (`from` when none is).
    fn end(&self) -> Checkpoint {
        self.events.back().map_or(self.from, |e| e.checkpoint)
    }

    /// Up to `limit` events after `after`, when `after` falls inside the
    /// stretch and something follows it here.
    fn after(&self, after: Checkpoint, limit: usize) -> Option<Vec<RecordedEvent>> {
        if after < self.from || after >= self.end() {
            return None;
        }
        let start = self.events.partition_point(|e| e.checkpoint <= after);
        Some(self.events.range(start..).take(limit).cloned().collect())
    }
}

impl Default for LogTail {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl LogTail {
    /// A tail keeping at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            stretch: Mutex::new(Stretch::default()),
            capacity: capacity.max(1),
        }
    }

    /// Exactly what [`read_all`] would return, or a prefix of it: up to
    /// `limit` events after `after` in commit order. From memory when the
    /// stretch holds events after `after`; otherwise read from `db`, and the
    /// stretch extended (or started afresh, when this reader is ahead of it).
    pub async fn read<'e>(
        &self,
        db: impl PgExecutor<'e>,
        after: Checkpoint,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, sqlx::Error> {
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        if let Some(events) = self.lock().after(after, limit) {
            return Ok(events);
        }
        let events = read_all(db, after, limit as i64).await?;
        if !events.is_empty() {
            self.keep(after, &events);
        }
        Ok(events)
    }

    /// Adds `events`, read right after `after`, to the stretch.
    fn keep(&self, after: Checkpoint, events: &[RecordedEvent]) {
        let mut s = self.lock();
        let end = s.end();
        if after == end {
            s.events.extend(events.iter().cloned());
        } else if after > end {
            // A reader ahead of everything held: what is held can no longer
            // be extended without a gap, so start again from here.
            *s = Stretch {
                from: after,
                events: events.iter().cloned().collect(),
            };
        } else {
            // A reader behind the end (catching up from further back):
            // its events are older than what the others need.
            return;
        }
        while s.events.len() > self.capacity {
            if let Some(first) = s.events.pop_front() {
                s.from = first.checkpoint;
            }
        }
    }

    /// Number of events held (tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().events.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stretch> {
        // A panic while holding the lock leaves the stretch as it was before
        // the change (every change above is a plain push or reset), so the
        // data is still good.
        self.stretch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
