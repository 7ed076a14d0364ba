//! [`CommandBus`]: runs one command against one stream and answers exactly
//! once. A conflict (another writer got there first) is retried a bounded
//! number of times with a fresh load; the caller sees success, a business
//! refusal, or [`CommandError::Conflict`] — never a lost write.

use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use rand::Rng;
use serde_json::{Map, Value};

use std::sync::Arc;

use crate::cache::{self, StreamCache};
use crate::events::{CommittedEvent, PendingCommit, PgEventStore, StoreError};
use crate::group::{self, GroupCommitter};
use crate::metadata::Metadata;
use crate::stream::Stream;
use crate::turns::StreamTurns;

/// Default number of attempts before a conflict is reported to the caller.
pub const DEFAULT_ATTEMPTS: u32 = 10;

/// What a command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The events it recorded (empty for a repeat or a no-op).
    pub recorded: Vec<CommittedEvent>,
    /// When it repeated an earlier fact: that fact's sequence in the stream.
    pub repeat_of: Option<i64>,
}

/// Why a command did not record anything.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused it (a business answer).
    #[error(transparent)]
    Rejected(E),
    /// Other writers kept changing the stream through every attempt.
    #[error("the customer was changed concurrently; retry the request")]
    Conflict,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl<E: std::error::Error> From<StoreError> for CommandError<E> {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict,
            other => Self::Store(other),
        }
    }
}

/// Runs commands for aggregates of type `A`.
pub struct CommandBus<A: Stream> {
    store: PgEventStore<A>,
    attempts: u32,
    cache: Arc<StreamCache<A>>,
    committer: Arc<GroupCommitter<A>>,
    turns: Arc<StreamTurns>,
}

impl<A: Stream> Clone for CommandBus<A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            attempts: self.attempts,
            cache: self.cache.clone(),
            committer: self.committer.clone(),
            turns: self.turns.clone(),
        }
    }
}

impl<A: Stream> CommandBus<A>
where
    A::Command: Clone,
{
    /// A bus over `store` with [`DEFAULT_ATTEMPTS`], committing concurrent
    /// commands in groups over [`group::DEFAULT_LANES`] lanes.
    pub fn new(store: PgEventStore<A>) -> Self {
        Self {
            committer: GroupCommitter::new(store.clone(), group::DEFAULT_LANES),
            store,
            attempts: DEFAULT_ATTEMPTS,
            cache: Arc::new(StreamCache::new(cache::DEFAULT_CAPACITY)),
            turns: Arc::new(StreamTurns::default()),
        }
    }

    /// Sets how many group appends may be in flight at once (0 = every
    /// command appends on its own, in its own statement and commit).
    pub fn with_group_commit(mut self, lanes: usize) -> Self {
        self.committer = GroupCommitter::new(self.store.clone(), lanes);
        self
    }

    /// Sets how many streams the in-memory cache keeps (0 disables it).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = Arc::new(StreamCache::new(capacity));
        self
    }

    /// The stream cache (the batch path forgets what it wrote).
    pub(crate) fn cache(&self) -> &StreamCache<A> {
        &self.cache
    }

    /// Commands decided and waiting for a free group-commit lane (a gauge of
    /// how far the database is behind the callers).
    pub fn waiting_to_commit(&self) -> usize {
        self.committer.waiting()
    }

    /// Sets how many attempts a conflicting command gets.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// How many attempts a conflicting command gets.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The store underneath.
    pub fn store(&self) -> &PgEventStore<A> {
        &self.store
    }

    /// Runs `command` on stream `id`.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<Outcome, CommandError<A::Error>> {
        let own_key = A::command_dedup_key(&command);
        let keys = A::command_lookup_keys(&command);
        // A correction cannot be decided without the fact it corrects, which
        // the cache does not hold: it goes straight to a fresh load.
        let refers = keys.len() > usize::from(own_key.is_some());
        let metadata = metadata_map(metadata);
        // Commands for this stream from this process go one at a time, each
        // deciding on what the one before left (see `turns`).
        let _turn = self.turns.take(id).await;
        for attempt in 0..self.attempts {
            // First try on the cached state; anything unusual is decided
            // again on a fresh load.
            let cached = if attempt == 0 && !refers {
                self.cache.get(id)
            } else {
                None
            };
            let from_cache = cached.is_some();
            let (mut ctx, earlier) = match cached {
                Some(ctx) => (ctx, Vec::new()),
                // The stream and any earlier fact with the command's key come
                // in one read. If a duplicate lands after it, the unique index
                // turns our append into a conflict and the retry sees it.
                None => self.store.load_with_facts(id, &keys).await?,
            };
            let repeat_of = earlier
                .iter()
                .find(|f| own_key.as_ref() == Some(&f.key))
                .map(|f| f.sequence);
            let services = A::services(earlier.into_iter().map(|f| f.event).collect());
            let sink = EventSink::default();
            let decided = ctx
                .aggregate
                .handle(command.clone(), &services, &sink)
                .await;
            let events = sink.collect().await;
            if from_cache && (decided.is_err() || events.is_empty()) {
                continue;
            }
            decided.map_err(CommandError::Rejected)?;
            if events.is_empty() {
                return Ok(Outcome {
                    recorded: Vec::new(),
                    repeat_of,
                });
            }
            let mut next = ctx.clone();
            let commit = PendingCommit {
                context: ctx,
                events,
                metadata: metadata.clone(),
            };
            match self.committer.append(commit).await {
                Ok(recorded) => {
                    if let Some(last) = recorded.last() {
                        next.version = last.sequence;
                        next.last_hash = last.hash;
                        self.cache.put(next);
                    }
                    return Ok(Outcome {
                        recorded,
                        repeat_of: None,
                    });
                }
                Err(StoreError::Conflict) => {
                    crate::stats::conflict();
                    self.cache.forget([&next.aggregate_id]);
                    if !from_cache {
                        backoff(attempt).await;
                    }
                }
                Err(e) => {
                    self.cache.forget([&next.aggregate_id]);
                    return Err(CommandError::Store(e));
                }
            }
        }
        tracing::warn!(
            stream = id,
            attempts = self.attempts,
            "command gave up after conflicts"
        );
        crate::stats::gave_up();
        Err(CommandError::Conflict)
    }
}

/// Jittered exponential pause before retrying a conflict, so writers racing
/// for the same stream spread out instead of colliding again.
pub(crate) async fn backoff(attempt: u32) {
    let cap_us = (500u64 << attempt.min(6)).min(50_000);
    let us = rand::thread_rng().gen_range(0..=cap_us);
    tokio::time::sleep(Duration::from_micros(us)).await;
}

pub(crate) fn metadata_map(m: &Metadata) -> Map<String, Value> {
    m.to_map()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}
