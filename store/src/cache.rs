//! The latest state of recently used streams, kept in memory so the common
//! command — the next transaction of a card that was just used — needs no
//! read at all: decide on the cached state and append with the expected
//! sequence.
//!
//! The cache may be stale (another process wrote to the stream): the append
//! then hits the primary key or the dedup index, the entry is dropped, and
//! the command is decided again on a fresh load. Refusals and no-ops are never
//! answered from the cache. So the cache can make a command faster, never
//! different.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::events::StreamContext;

/// Bounded map of stream id → latest known context.
pub struct StreamCache<A> {
    entries: Mutex<HashMap<String, StreamContext<A>>>,
    capacity: usize,
}

/// Default number of streams kept.
pub const DEFAULT_CAPACITY: usize = 100_000;

impl<A: Clone> StreamCache<A> {
    /// An empty cache holding at most `capacity` streams (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// A copy of the cached context, if any.
    pub fn get(&self, id: &str) -> Option<StreamContext<A>> {
        self.entries.lock().ok()?.get(id).cloned()
    }

    /// Remembers `ctx` as the stream's latest state.
    pub fn put(&self, ctx: StreamContext<A>) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= self.capacity && !map.contains_key(&ctx.aggregate_id) {
                // Any victim will do: a miss only costs one read.
                if let Some(victim) = map.keys().next().cloned() {
                    map.remove(&victim);
                }
            }
            map.insert(ctx.aggregate_id.clone(), ctx);
        }
    }

    /// Forgets streams (after a conflict, or writes made elsewhere).
    pub fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a String>) {
        if let Ok(mut map) = self.entries.lock() {
            for id in ids {
                map.remove(id);
            }
        }
    }
}
