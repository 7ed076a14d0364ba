//! Commands for one stream take turns within the process.
//!
//! Optimistic concurrency makes concurrent commands on one stream safe: all
//! but one get a conflict and are decided again. Within one process that is
//! wasted work, and with group commit it compounds — commands for the same
//! stream queued in one group can only land one per group, so twenty at once
//! needed twenty rounds of retries and could run out of attempts. A command
//! therefore waits for the previous one on its stream in this process to be
//! answered and then decides on the state it left. Conflicts remain what they
//! are for: writers in other processes (and the batch path).
//!
//! The turns are striped: streams share a lock by hash, so the table stays a
//! fixed size however many customers there are. Two customers on one stripe
//! wait for each other only while both have a command in flight.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use tokio::sync::{Mutex, MutexGuard};

/// Number of stripes: with tens of commands in flight, two unrelated
/// customers share one rarely.
pub const STRIPES: usize = 4_096;

/// The per-stream turns of one process.
pub struct StreamTurns {
    stripes: Box<[Mutex<()>]>,
}

impl Default for StreamTurns {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl StreamTurns {
    /// Waits for stream `id`'s turn; it lasts until the guard is dropped.
    pub async fn take(&self, id: &str) -> MutexGuard<'_, ()> {
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
        // The remainder is below STRIPES, so it fits any usize.
        let stripe = (hash % self.stripes.len() as u64) as usize;
        self.stripes[stripe].lock().await
    }
}
