//! Tamper evidence: checks every stream's hash chain
//! (`store::events::hash`) and reports the first broken link.
//!
//! Each event's stored hash must equal `chain(previous stored hash, event)`.
//! Chaining from the *stored* previous hash means an edited event breaks
//! exactly its own link (and re-hashing it to hide the edit breaks the next
//! one), so the report points at where history was changed. Sequences must
//! run 1, 2, 3… without gaps: a deleted event is a broken link too.
//!
//! The log is read in primary-key order `(aggregate_type, aggregate_id,
//! sequence)`, in keyset pages (constant memory, millions of events), and the
//! next page is fetched while the current one is hashed.
//!
//! A chain proves the log is consistent with itself; someone able to rewrite
//! an event *and* every later hash of its stream would leave a consistent
//! chain. [`ChainReport::digest`] covers that: it hashes every stream's head
//! as recomputed from the events' content (from the genesis hash, ignoring
//! the stored hashes), so it changes with any change of content. Keep it
//! outside the database and compare it with a later run.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};
use store::events::hash::{chain, EventBytes, GENESIS};

use crate::AuditError;

/// Broken links kept in a report (the first of each broken stream).
const KEEP: usize = 100;

/// A link of a stream's chain that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// Aggregate type.
    pub aggregate_type: String,
    /// Stream id.
    pub aggregate_id: String,
    /// Sequence of the event.
    pub sequence: i64,
    /// Its global position.
    pub global_position: i64,
    /// What is wrong.
    pub problem: String,
    /// The hash the chain requires here (hex).
    pub expected: String,
    /// The hash stored (hex).
    pub stored: String,
}

/// The result of a check of the whole log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChainReport {
    /// Events checked.
    pub events: u64,
    /// Streams checked.
    pub streams: u64,
    /// Whether every link holds.
    pub intact: bool,
    /// The broken link earliest in the log (lowest global position).
    pub first_broken: Option<BrokenLink>,
    /// Streams with a broken link.
    pub broken_streams: u64,
    /// The first broken link of each broken stream (at most 100).
    pub broken: Vec<BrokenLink>,
    /// sha256 over every stream's (type, id, last sequence, head hash
    /// recomputed from content), in stream order.
    pub digest: String,
    /// Wall time.
    pub seconds: f64,
    /// Events per second.
    pub events_per_sec: f64,
}

struct StoredEvent {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    hash: Vec<u8>,
    global_position: i64,
}

type Key = (String, String, i64);

async fn page(pool: PgPool, after: Key, size: i64) -> Result<Vec<StoredEvent>, AuditError> {
    let rows = sqlx::query(
        "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, \
                payload::text AS payload, metadata::text AS metadata, hash, global_position \
         FROM events WHERE (aggregate_type, aggregate_id, sequence) > ($1, $2, $3) \
         ORDER BY aggregate_type, aggregate_id, sequence LIMIT $4",
    )
    .bind(&after.0)
    .bind(&after.1)
    .bind(after.2)
    .bind(size)
    .fetch_all(&pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                aggregate_type: r.try_get("aggregate_type")?,
                aggregate_id: r.try_get("aggregate_id")?,
                sequence: r.try_get("sequence")?,
                event_type: r.try_get("event_type")?,
                event_version: r.try_get("event_version")?,
                payload: r.try_get("payload")?,
                metadata: r.try_get("metadata")?,
                hash: r.try_get("hash")?,
                global_position: r.try_get("global_position")?,
            })
        })
        .collect()
}

/// Where the check is between pages: the current stream and its last link.
#[derive(Default)]
struct Walk {
    report: ChainReport,
    stream: Option<(String, String)>,
    last_sequence: i64,
    previous: [u8; 32],
    /// The head recomputed from content alone (equals `previous` while the
    /// chain holds).
    content_head: [u8; 32],
    stream_broken: bool,
    digest: Sha256,
}

impl Walk {
    fn close_stream(&mut self) {
        if let Some((t, id)) = self.stream.take() {
            for part in [t.as_bytes(), id.as_bytes()] {
                self.digest.update((part.len() as u64).to_be_bytes());
                self.digest.update(part);
            }
            self.digest.update(self.last_sequence.to_be_bytes());
            self.digest.update(self.content_head);
        }
    }

    fn check(&mut self, r: &StoredEvent) -> Result<(), AuditError> {
        let same = self
            .stream
            .as_ref()
            .is_some_and(|(t, id)| *t == r.aggregate_type && *id == r.aggregate_id);
        if !same {
            self.close_stream();
            self.stream = Some((r.aggregate_type.clone(), r.aggregate_id.clone()));
            self.report.streams += 1;
            self.last_sequence = 0;
            self.previous = GENESIS;
            self.content_head = GENESIS;
            self.stream_broken = false;
        }
        self.report.events += 1;
        let parse = |text: &str, what: &str| -> Result<Value, AuditError> {
            serde_json::from_str(text).map_err(|e| {
                AuditError::Corrupt(format!("{what} of {}#{}: {e}", r.aggregate_id, r.sequence))
            })
        };
        let (payload, metadata) = (
            parse(&r.payload, "payload")?,
            parse(&r.metadata, "metadata")?,
        );
        let bytes = EventBytes {
            aggregate_type: &r.aggregate_type,
            aggregate_id: &r.aggregate_id,
            sequence: r.sequence,
            event_type: &r.event_type,
            event_version: &r.event_version,
            payload: &payload,
            metadata: &metadata,
        };
        let expected = chain(&self.previous, &bytes);
        self.content_head = if self.content_head == self.previous {
            expected
        } else {
            chain(&self.content_head, &bytes)
        };
        let problem = if r.sequence != self.last_sequence + 1 {
            Some(format!(
                "sequence {} follows {} (an event is missing)",
                r.sequence, self.last_sequence
            ))
        } else if r.hash.as_slice() != expected {
            Some("stored hash does not match the event and the previous link".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            if !self.stream_broken {
                self.stream_broken = true;
                self.broken(BrokenLink {
                    aggregate_type: r.aggregate_type.clone(),
                    aggregate_id: r.aggregate_id.clone(),
                    sequence: r.sequence,
                    global_position: r.global_position,
                    problem,
                    expected: hex::encode(expected),
                    stored: hex::encode(&r.hash),
                });
            }
        }
        self.last_sequence = r.sequence;
        // Continue from the stored link, so only the edited event is blamed.
        self.previous = r.hash.as_slice().try_into().unwrap_or(expected);
        Ok(())
    }

    fn broken(&mut self, link: BrokenLink) {
        self.report.broken_streams += 1;
        let earlier = self
            .report
            .first_broken
            .as_ref()
            .is_none_or(|f| link.global_position < f.global_position);
        if earlier {
            self.report.first_broken = Some(link.clone());
        }
        if self.report.broken.len() < KEEP {
            self.report.broken.push(link);
        }
    }
}

/// Checks every stream's chain, reading `page_size` events per query;
/// `progress` gets the number of events checked so far after each page.
pub async fn verify_log(
    pool: &PgPool,
    page_size: i64,
    mut progress: impl FnMut(u64),
) -> Result<ChainReport, AuditError> {
    let started = Instant::now();
    let size = page_size.max(1);
    let mut walk = Walk::default();
    let mut next = tokio::spawn(page(pool.clone(), (String::new(), String::new(), 0), size));
    loop {
        let rows = next
            .await
            .map_err(|e| AuditError::Corrupt(format!("reading the log failed: {e}")))??;
        let Some(last) = rows.last() else { break };
        // Fetch the next page while this one is hashed.
        let key = (
            last.aggregate_type.clone(),
            last.aggregate_id.clone(),
            last.sequence,
        );
        next = tokio::spawn(page(pool.clone(), key, size));
        walk = tokio::task::spawn_blocking(move || {
            for r in &rows {
                walk.check(r)?;
            }
            Ok::<_, AuditError>(walk)
        })
        .await
        .map_err(|e| AuditError::Corrupt(format!("hashing failed: {e}")))??;
        progress(walk.report.events);
    }
    walk.close_stream();
    let mut report = walk.report;
    report.digest = hex::encode(walk.digest.finalize());
    report.intact = report.broken_streams == 0;
    report.broken.sort_by_key(|l| l.global_position);
    report.seconds = started.elapsed().as_secs_f64();
    report.events_per_sec = report.events as f64 / report.seconds.max(1e-9);
    Ok(report)
}
