//! Group commit: single commands that arrive together share one INSERT and
//! one commit.
//!
//! One card transaction per request is the common ingest, and each used to
//! cost the database a statement and a WAL flush of its own: at 8 concurrent
//! writers that, not our code, bounded throughput. Here each command still
//! decides on its own, then hands its events to a committer. The committer
//! keeps at most `lanes` appends in flight (two by default); whatever queued
//! while they were busy goes out as the next group, in one statement. So a
//! lone command waits for nothing, and under load the groups grow by
//! themselves.
//!
//! Every command is still answered with exactly its own outcome. A group is
//! all-or-nothing in the database, so when it fails (one stream moved on,
//! a fact already stored) its commands are appended again one by one: only
//! the ones that really conflict see the conflict. Two commands for one
//! stream in one group were decided on the same version, so the second is
//! answered with a conflict at once and the bus decides it again.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::events::{CommittedEvent, PendingCommit, PgEventStore, StoreError};
use crate::stream::Stream;

/// Appends in flight at once, by default. Two: while one group's statement
/// and WAL flush run, the next can go out. One lane could not keep up once
/// the projections shared the database, more than two were no better (the
/// figures are in `docs/scaling.md`, "Tuning constants").
pub const DEFAULT_LANES: usize = 2;

/// Most commands in one group (bounds one statement's size).
pub const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<Vec<CommittedEvent>, StoreError>>;

struct Job<A: Stream> {
    commit: PendingCommit<A>,
    reply: Reply,
}

/// The committer shared by a bus and its clones.
pub(crate) struct GroupCommitter<A: Stream> {
    store: PgEventStore<A>,
    lanes: usize,
    queue: OnceLock<mpsc::UnboundedSender<Job<A>>>,
    /// Commands handed over and not yet taken into a group.
    waiting: Arc<AtomicUsize>,
}

impl<A: Stream> GroupCommitter<A> {
    /// A committer over `store` with `lanes` appends in flight (0 = every
    /// command appends on its own).
    pub(crate) fn new(store: PgEventStore<A>, lanes: usize) -> Arc<Self> {
        Arc::new(Self {
            store,
            lanes,
            queue: OnceLock::new(),
            waiting: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Commands waiting for a free lane.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Appends one command's events, alone or with others; answers with its
    /// own committed events or its own failure.
    pub(crate) async fn append(
        &self,
        commit: PendingCommit<A>,
    ) -> Result<Vec<CommittedEvent>, StoreError> {
        if self.lanes == 0 {
            return self.store.append(vec![commit]).await;
        }
        // Started on first use, inside the runtime that uses it.
        let queue = self.queue.get_or_init(|| self.start());
        let (reply, answer) = oneshot::channel();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if let Err(mpsc::error::SendError(job)) = queue.send(Job { commit, reply }) {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            // The committer's runtime is gone: append directly.
            return self.store.append(vec![job.commit]).await;
        }
        // A dropped reply means the append's task died mid-way: whether it
        // committed is unknown, so say the store failed (a retry is
        // idempotent through the dedup keys) rather than guess.
        answer
            .await
            .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
    }

    fn start(&self) -> mpsc::UnboundedSender<Job<A>> {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Job<A>>();
        let store = self.store.clone();
        let lanes = Arc::new(Semaphore::new(self.lanes));
        let waiting = self.waiting.clone();
        tokio::spawn(async move {
            loop {
                // A free lane first, then whatever has queued meanwhile.
                let Ok(lane) = lanes.clone().acquire_owned().await else {
                    return;
                };
                let Some(first) = jobs.recv().await else {
                    return;
                };
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                waiting.fetch_sub(group.len(), Ordering::SeqCst);
                let store = store.clone();
                tokio::spawn(async move {
                    flush(&store, group).await;
                    drop(lane);
                });
            }
        });
        queue
    }
}

async fn flush<A: Stream>(store: &PgEventStore<A>, group: Vec<Job<A>>) {
    let mut streams = HashSet::new();
    let mut jobs = Vec::with_capacity(group.len());
    for job in group {
        if streams.insert(job.commit.context.aggregate_id.clone()) {
            jobs.push(job);
        } else {
            let _ = job.reply.send(Err(StoreError::Conflict));
        }
    }
    if jobs.len() > 1 {
        match store
            .append_all(jobs.iter().map(|j| &j.commit).collect())
            .await
        {
            Ok(committed) => {
                let mut by_stream: HashMap<String, Vec<CommittedEvent>> = HashMap::new();
                for c in committed {
                    by_stream.entry(c.aggregate_id.clone()).or_default().push(c);
                }
                for job in jobs {
                    let mine = by_stream
                        .remove(&job.commit.context.aggregate_id)
                        .unwrap_or_default();
                    let _ = job.reply.send(Ok(mine));
                }
                return;
            }
            // The database is out of reach: so it is for every command, and
            // trying each alone would only make them all wait again.
            Err(e) => {
                if let Some(copy) = unreachable(&e) {
                    for job in jobs {
                        let _ = job.reply.send(Err(copy()));
                    }
                    return;
                }
            }
        }
        // A conflict of one (or any other failure): each command gets its
        // own answer from an append of its own.
    }
    for job in jobs {
        let result = store.append_all(vec![&job.commit]).await;
        let _ = job.reply.send(result);
    }
}

/// Copies of a "cannot reach the database" failure, one for every command
/// of a group (`sqlx::Error` is not `Clone`); `None` for any other failure.
fn unreachable(e: &StoreError) -> Option<impl Fn() -> StoreError + '_> {
    let StoreError::Database(db) = e else {
        return None;
    };
    if !matches!(
        db,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
    ) {
        return None;
    }
    Some(move || {
        StoreError::Database(match db {
            sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
            sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
            _ => sqlx::Error::PoolClosed,
        })
    })
}
