//! Counters of this process's writes, for `/metrics`: append conflicts (a
//! concurrent writer changed the stream; the command was decided again) and
//! commands that gave up after every attempt conflicted.

use std::sync::atomic::{AtomicU64, Ordering};

static CONFLICTS: AtomicU64 = AtomicU64::new(0);
static GAVE_UP: AtomicU64 = AtomicU64::new(0);

pub(crate) fn conflict() {
    CONFLICTS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn gave_up() {
    GAVE_UP.fetch_add(1, Ordering::Relaxed);
}

/// Append conflicts retried in this process since it started.
pub fn conflicts() -> u64 {
    CONFLICTS.load(Ordering::Relaxed)
}

/// Commands answered `Conflict` after every attempt conflicted.
pub fn gave_up_after_conflicts() -> u64 {
    GAVE_UP.load(Ordering::Relaxed)
}
