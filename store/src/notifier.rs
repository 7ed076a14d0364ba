//! Wakes log readers soon after events are committed, without slowing the
//! writers down.
//!
//! A transaction that runs `NOTIFY` takes a database-wide lock while it
//! commits, so notifying from the writing transactions (a trigger) serialises
//! every commit and defeats PostgreSQL's group commit: ingest fell to ~1,000
//! commits/s where plain inserts reached ~19,000/s. Instead, writers *poke* this
//! notifier after they commit; one background task turns any number of pokes
//! into one `NOTIFY events_appended` on its own connection, and wakes readers
//! in the same process directly. Readers also poll, so a lost wake-up only
//! delays them.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Notify;

/// Shortest time between two notifications (readers in other processes may
/// learn of new events this much later; readers in this process are woken at
/// once).
pub const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(2);

/// The channel readers `LISTEN` on.
pub const CHANNEL: &str = "events_appended";

/// Coalescing notifier for appended events.
#[derive(Debug)]
pub struct Notifier {
    poked: Notify,
    local: Notify,
}

impl Notifier {
    /// Starts the background task that sends the notifications.
    pub fn start(pool: PgPool) -> Arc<Self> {
        let n = Arc::new(Self {
            poked: Notify::new(),
            local: Notify::new(),
        });
        let task = n.clone();
        tokio::spawn(async move {
            loop {
                // Pokes that arrive while we notify leave one permit: they
                // are folded into the next round.
                task.poked.notified().await;
                // A wake-up is best effort (readers also poll), so its commit
                // need not wait for a WAL flush of its own.
                if let Err(e) = notify(&pool).await {
                    tracing::debug!(error = %e, "could not send the append notification; readers will poll");
                }
                // At most one NOTIFY per interval: each is a transaction of its
                // own, and under heavy ingest one per commit would cost the
                // database as much as the commits themselves.
                tokio::time::sleep(MIN_INTERVAL).await;
            }
        });
        n
    }

    /// Tells readers that events were committed.
    pub fn poke(&self) {
        self.local.notify_waiters();
        self.poked.notify_one();
    }

    /// Resolves at the next poke in this process.
    pub async fn appended(&self) {
        self.local.notified().await;
    }
}

async fn notify(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool
        .begin_with("BEGIN; SET LOCAL synchronous_commit TO off")
        .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
