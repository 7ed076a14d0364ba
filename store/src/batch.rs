//! Many commands over many streams, committed together: the path behind the
//! batch endpoint and the bulk importer. Each item gets its own answer; items
//! the aggregate refuses are reported and the rest are stored in one commit.
//! Items for the same customer are decided in the order given.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;

use crate::bus::{backoff, metadata_map, CommandBus, CommandError};
use crate::events::{CommittedEvent, PendingCommit, StoreError, StreamContext};
use crate::metadata::Metadata;
use crate::stream::Stream;

/// What happened to one item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome<E> {
    /// Recorded as a new event.
    Recorded(CommittedEvent),
    /// Repeated a fact stored before (its sequence in the stream).
    Repeat {
        /// The earlier fact's sequence.
        sequence: i64,
    },
    /// Nothing to record (e.g. an unchanged limit).
    Unchanged,
    /// The aggregate refused it.
    Rejected(E),
}

/// Where a deduplicated fact of this batch sits: stored before the batch, or
/// decided by an earlier item of it.
#[derive(Clone, Copy)]
enum Seen {
    Stored(i64),
    InBatch(usize),
}

impl<A: Stream> CommandBus<A>
where
    A::Command: Clone,
    A::Error: Clone,
{
    /// Runs `items` (stream id, command) and commits every accepted event in
    /// one statement. Conflicts with concurrent writers retry the batch.
    pub async fn execute_batch(
        &self,
        items: Vec<(String, A::Command)>,
        metadata: &Metadata,
    ) -> Result<Vec<ItemOutcome<A::Error>>, CommandError<A::Error>> {
        let metadata = metadata_map(metadata);
        let mut ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids.dedup();
        let keys: Vec<(String, String)> = items
            .iter()
            .flat_map(|(id, c)| {
                A::command_lookup_keys(c)
                    .into_iter()
                    .map(move |k| (id.clone(), k))
            })
            .collect();
        // A correction needs the fact it corrects to be decided at all, so
        // a batch holding one looks facts up from the first try.
        let refers = items.iter().any(|(_, c)| {
            A::command_lookup_keys(c).len() > usize::from(A::command_dedup_key(c).is_some())
        });
        for attempt in 0..self.attempts() {
            let store = self.store();
            let mut tx = store.pool().begin().await.map_err(StoreError::from)?;
            store.lock_streams_in(&mut tx, &ids).await?;
            // First try on cached streams (the common case: this process
            // wrote them last); a stale entry turns into a conflict on
            // append, and anything refused on cached state is decided again
            // on a fresh load — as for single commands.
            let mut from_cache = std::collections::HashSet::new();
            let mut contexts = HashMap::new();
            let mut missing = Vec::new();
            for id in &ids {
                match (attempt == 0).then(|| self.cache().get(id)).flatten() {
                    Some(ctx) => {
                        from_cache.insert(id.clone());
                        contexts.insert(id.clone(), ctx);
                    }
                    None => missing.push(id.clone()),
                }
            }
            if !missing.is_empty() {
                contexts.extend(store.load_many_in(&mut *tx, &missing).await?);
            }
            let mut doubtful = false;
            // Repeats are rare: the first try does not look for earlier
            // facts (a lookup per item was a third of the database's time on
            // batch ingest). A repeat then decides a new event whose key the
            // unique index refuses; that is a conflict, and the next try
            // looks and answers it as a repeat.
            let earlier = if attempt == 0 && !refers {
                Vec::new()
            } else {
                store.earlier_facts_in(&mut *tx, &keys).await?
            };
            let mut seen: HashMap<(String, String), (Seen, A::Event)> = earlier
                .into_iter()
                .map(|f| ((f.aggregate_id, f.key), (Seen::Stored(f.sequence), f.event)))
                .collect();
            // Events decided so far per stream, and which item decided each.
            let mut pending: HashMap<String, Vec<A::Event>> = HashMap::new();
            let mut owners: Vec<Option<(String, usize)>> = vec![None; items.len()];
            // Items that repeated an earlier item of this batch.
            let mut repeats = vec![false; items.len()];
            let mut results: Vec<Option<ItemOutcome<A::Error>>> = vec![None; items.len()];
            for (i, (id, command)) in items.iter().enumerate() {
                let ctx = contexts.entry(id.clone()).or_insert_with(|| StreamContext {
                    aggregate: A::default(),
                    aggregate_id: id.clone(),
                    version: 0,
                    last_hash: crate::events::hash::GENESIS,
                });
                let prior =
                    A::command_dedup_key(command).and_then(|k| seen.get(&(id.clone(), k)).cloned());
                let services = A::services(
                    A::command_lookup_keys(command)
                        .into_iter()
                        .filter_map(|k| seen.get(&(id.clone(), k)).map(|(_, e)| e.clone()))
                        .collect(),
                );
                // Decide on a copy: a refused command must leave no trace.
                let mut aggregate = ctx.aggregate.clone();
                let sink = EventSink::default();
                if let Err(e) = aggregate.handle(command.clone(), &services, &sink).await {
                    doubtful |= from_cache.contains(id);
                    results[i] = Some(ItemOutcome::Rejected(e));
                    continue;
                }
                let events = sink.collect().await;
                if events.is_empty() {
                    doubtful |= from_cache.contains(id);
                    results[i] = Some(match prior {
                        Some((Seen::Stored(sequence), _)) => ItemOutcome::Repeat { sequence },
                        Some((Seen::InBatch(first), _)) => {
                            owners[i] = owners[first].clone();
                            repeats[i] = true;
                            continue;
                        }
                        None => ItemOutcome::Unchanged,
                    });
                    continue;
                }
                ctx.aggregate = aggregate;
                let stream_events = pending.entry(id.clone()).or_default();
                for e in events {
                    if let Some(k) = A::event_dedup_key(&e) {
                        seen.insert((id.clone(), k), (Seen::InBatch(i), e.clone()));
                    }
                    owners[i] = Some((id.clone(), stream_events.len()));
                    stream_events.push(e);
                }
            }
            if doubtful {
                // Refusals and no-ops are only answered on fresh state.
                drop(tx);
                self.cache().forget(from_cache.iter());
                continue;
            }
            // The streams' states after this batch, cached once it commits.
            let mut next: Vec<StreamContext<A>> = pending
                .keys()
                .filter_map(|id| contexts.get(id).cloned())
                .collect();
            let commits = pending
                .into_iter()
                .filter_map(|(id, events)| {
                    contexts.remove(&id).map(|context| PendingCommit {
                        context,
                        events,
                        metadata: metadata.clone(),
                    })
                })
                .collect::<Vec<_>>();
            let first_sequence: HashMap<String, i64> = commits
                .iter()
                .map(|c| (c.context.aggregate_id.clone(), c.context.version + 1))
                .collect();
            let appended = match store.append_in(&mut *tx, commits).await {
                Ok(committed) => tx
                    .commit()
                    .await
                    .map(|()| committed)
                    .map_err(StoreError::from),
                Err(e) => Err(e),
            };
            match appended {
                Ok(committed) => {
                    store.committed();
                    let by_stream: HashMap<(String, i64), CommittedEvent> = committed
                        .into_iter()
                        .map(|c| ((c.aggregate_id.clone(), c.sequence), c))
                        .collect();
                    let mut last: HashMap<&str, &CommittedEvent> = HashMap::new();
                    for c in by_stream.values() {
                        let e = last.entry(c.aggregate_id.as_str()).or_insert(c);
                        if c.sequence > e.sequence {
                            *e = c;
                        }
                    }
                    for ctx in &mut next {
                        if let Some(c) = last.get(ctx.aggregate_id.as_str()) {
                            ctx.version = c.sequence;
                            ctx.last_hash = c.hash;
                        }
                    }
                    for ctx in next {
                        self.cache().put(ctx);
                    }
                    return Ok(results
                        .into_iter()
                        .zip(owners.into_iter().zip(repeats))
                        .map(|(r, (owner, repeat))| match (r, owner) {
                            (Some(r), _) => r,
                            (None, Some((id, idx))) => {
                                let seq =
                                    first_sequence.get(&id).copied().unwrap_or(1) + idx as i64;
                                match by_stream.get(&(id, seq)) {
                                    Some(c) if repeat => ItemOutcome::Repeat {
                                        sequence: c.sequence,
                                    },
                                    Some(c) => ItemOutcome::Recorded(c.clone()),
                                    None => ItemOutcome::Unchanged,
                                }
                            }
                            (None, None) => ItemOutcome::Unchanged,
                        })
                        .collect());
                }
                Err(StoreError::Conflict) => {
                    crate::stats::conflict();
                    self.cache().forget(ids.iter());
                    if from_cache.is_empty() {
                        backoff(attempt).await;
                    }
                }
                Err(e) => {
                    self.cache().forget(ids.iter());
                    return Err(CommandError::Store(e));
                }
            }
        }
        crate::stats::gave_up();
        Err(CommandError::Conflict)
    }
}
