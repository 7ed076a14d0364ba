//! Facts recorded earlier on a customer's stream whose ids a new command
//! reuses. The command bus looks them up (one indexed read) before handing the
//! command to the aggregate, so the aggregate can answer "already recorded"
//! without holding every transaction id it has ever seen in its state — that
//! state would grow without bound and make every command slower.

use std::collections::BTreeMap;

use crate::customer::CustomerEvent;

/// Earlier events keyed by their deduplication key (see
/// [`CustomerEvent::dedup_key`]). Empty means "none of this command's ids has
/// been seen".
#[derive(Clone, Debug, Default)]
pub struct KnownFacts {
    by_key: BTreeMap<String, CustomerEvent>,
}

impl KnownFacts {
    /// No earlier facts.
    pub fn none() -> Self {
        Self::default()
    }

    /// Remembers an earlier event under its deduplication key.
    pub fn remember(&mut self, event: CustomerEvent) {
        if let Some(key) = event.dedup_key() {
            self.by_key.insert(key, event);
        }
    }

    /// Builds the facts a stream with these events would have (used by tests
    /// and by the in-memory replay in the trainer).
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a CustomerEvent>) -> Self {
        let mut facts = Self::none();
        for e in events {
            facts.remember(e.clone());
        }
        facts
    }

    /// The earlier event recorded under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&CustomerEvent> {
        self.by_key.get(key)
    }
}
