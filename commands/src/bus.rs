//! [`CommandBus`]: runs one command against one stream and answers exactly
//! once. A conflict (another writer got there first) is retried a bounded
//! number of times with a fresh load; the caller sees success, a business
//! refusal, or [`CommandError::Conflict`] — never a lost write.

use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use rand::Rng;
use serde_json::{Map, Value};

use crate::metadata::Metadata;
use crate::store::{CommittedEvent, PendingCommit, PgEventStore, StoreError};
use crate::stream::Stream;

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
pub struct CommandBus<A> {
    store: PgEventStore<A>,
    attempts: u32,
}

impl<A> Clone for CommandBus<A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            attempts: self.attempts,
        }
    }
}

impl<A: Stream> CommandBus<A>
where
    A::Command: Clone,
{
    /// A bus over `store` with [`DEFAULT_ATTEMPTS`].
    pub fn new(store: PgEventStore<A>) -> Self {
        Self {
            store,
            attempts: DEFAULT_ATTEMPTS,
        }
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
        let keys: Vec<(String, String)> = A::command_dedup_key(&command)
            .map(|k| (id.to_owned(), k))
            .into_iter()
            .collect();
        let metadata = metadata_map(metadata);
        for attempt in 0..self.attempts {
            // The facts lookup may run beside the load: if a duplicate lands
            // between the two reads, the unique index turns our append into a
            // conflict and the retry sees it.
            let (mut ctx, earlier) =
                tokio::try_join!(self.store.load(id), self.store.earlier_facts(&keys))?;
            let repeat_of = earlier.first().map(|f| f.sequence);
            let services = A::services(earlier.into_iter().map(|f| f.event).collect());
            let sink = EventSink::default();
            ctx.aggregate
                .handle(command.clone(), &services, &sink)
                .await
                .map_err(CommandError::Rejected)?;
            let events = sink.collect().await;
            if events.is_empty() {
                return Ok(Outcome {
                    recorded: Vec::new(),
                    repeat_of,
                });
            }
            let commit = PendingCommit {
                context: ctx,
                events,
                metadata: metadata.clone(),
            };
            match self.store.append(vec![commit]).await {
                Ok(recorded) => {
                    return Ok(Outcome {
                        recorded,
                        repeat_of: None,
                    })
                }
                Err(StoreError::Conflict) => backoff(attempt).await,
                Err(e) => return Err(CommandError::Store(e)),
            }
        }
        tracing::warn!(
            stream = id,
            attempts = self.attempts,
            "command gave up after conflicts"
        );
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
