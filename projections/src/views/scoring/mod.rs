//! `customer_features` and scoring: each customer's behavioural features, the
//! bounded [`FeatureState`] they come from (so a new event is folded in
//! without replaying history), and — with the same fold — the risk score of
//! every change (`risk_history`, `customer_risk`) and a request to record a
//! decision when the band changes or a rule newly fires (`decision_outbox`,
//! drained by the [`crate::recorder`]).
//!
//! Features are computed as of the customer's latest event time, never the
//! wall clock, with the same domain code the trainer and the auditor's replay
//! use. Decisions are requested only by the live projection: a rebuild
//! recomputes scores but never re-decides history.
//!
//! The live runner's steps keep the states they wrote in memory
//! ([`LiveMemory`]) and start the next step from them, reading only the
//! customers they do not hold — as long as the step starts from the
//! checkpoint the last one committed (nothing else wrote in between).
//!
//! A batch is scored once per customer: the last behaviour event of each
//! customer in the batch is the trigger of one `risk_history` row. A rebuild
//! keeps the same granularity, but holds the states and `customer_risk` rows
//! in a [`RebuildMemory`] between batches instead of rereading and rewriting
//! every customer's row per batch, and writes them once at the end.
//!
//! # Layout
//! - this file — the projection: its steps, the live and the rebuild memory.
//! - `step` — what a step does to its customers: fold the batch, score.
//! - `feature_rows` — loading states and writing the rows.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use domain::risk::ModelArtifact;
use domain::CustomerEvent;
use sqlx::PgConnection;
use store::RecordedEvent;

use super::feature_rows::{load_states, write_all, Output, States};
use super::risk_state;
use super::writes::Writes;
use crate::projection::{customer_events, Projection, ProjectionError, StepMark, Tables};

mod step;

use step::{fold, forget_unscored};

/// Customers a rebuild keeps in memory at most by default; past it, the
/// memory is written to the tables and emptied. A state holds at most 200
/// daily buckets and 14 statements (tens of KiB), so this bounds a rebuild's
/// memory to about a gigabyte however large the portfolio.
pub const REBUILD_MEMORY_CUSTOMERS: usize = 50_000;

/// The projection, scoring with one model artifact.
pub struct CustomerFeatures {
    model: Arc<ModelArtifact>,
    version: String,
    memory_customers: usize,
    live: Mutex<LiveMemory>,
    decided: Option<Arc<tokio::sync::Notify>>,
}

/// What the live runner's committed steps wrote, kept for the next step:
/// each held state and risk row is the one in the tables at `mark`.
#[derive(Default)]
struct LiveMemory {
    /// The checkpoint row the held states go with (`None`: hold nothing).
    mark: Option<StepMark>,
    held: States,
    /// What the step in progress wrote, and whether it asked for decisions;
    /// held once it commits.
    pending: Option<(States, bool)>,
}

impl CustomerFeatures {
    /// Scores with `model`.
    pub fn new(model: Arc<ModelArtifact>) -> Self {
        let version = model.version();
        Self {
            model,
            version,
            memory_customers: REBUILD_MEMORY_CUSTOMERS,
            live: Mutex::default(),
            decided: None,
        }
    }

    /// Pokes `decided` after each committed step that asked for decisions
    /// (wakes the decision recorder at once, and only when there is work).
    pub fn with_decided(mut self, decided: Arc<tokio::sync::Notify>) -> Self {
        self.decided = Some(decided);
        self
    }

    fn live(&self) -> MutexGuard<'_, LiveMemory> {
        // Every change under the lock is a plain assignment: a panic
        // elsewhere cannot leave it half-done.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps at most `customers` customers in memory while rebuilding
    /// (default [`REBUILD_MEMORY_CUSTOMERS`]; the result is the same, only
    /// the memory and the time it takes change).
    pub fn with_rebuild_memory(mut self, customers: usize) -> Self {
        self.memory_customers = customers;
        self
    }
}

/// What a rebuild of [`CustomerFeatures`] keeps between batches: the states
/// and risk rows of the customers seen so far, as the tables would hold them.
#[derive(Default)]
pub struct RebuildMemory {
    states: States,
    /// Whether the memory has been written out and emptied before: then a
    /// customer missing from it may be in the tables.
    spilled: bool,
}

/// The events of a batch decoded, and the customers they are about (sorted).
type Batch<'a> = (Vec<(&'a RecordedEvent, CustomerEvent)>, Vec<String>);

fn decode(events: &[RecordedEvent]) -> Result<Batch<'_>, ProjectionError> {
    let decoded = customer_events(events)?;
    let mut ids: Vec<&str> = decoded
        .iter()
        .map(|(e, _)| e.aggregate_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let ids = ids.into_iter().map(str::to_owned).collect();
    Ok((decoded, ids))
}

impl Projection for CustomerFeatures {
    const NAME: &'static str = "customer_features";
    const TABLES: &'static [&'static str] = &["customer_features", "customer_risk", "risk_history"];
    type RebuildMemory = RebuildMemory;

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let (decoded, ids) = decode(events)?;
        if decoded.is_empty() {
            return Ok(());
        }
        let live = tables.is_live();
        // Taken, not copied: if this step fails, what it held is gone too.
        let mut states = if live {
            std::mem::take(&mut self.live().held)
        } else {
            States::default()
        };
        load_missing(tx, tables, &ids, &mut states).await?;
        let triggers = fold(&decoded, &mut states);
        let mut out = Output::default();
        self.score(&ids, &mut states, &triggers, live, true, &mut out)?;
        // The step's writes in one round trip: it is on the decision path.
        let mut w = Writes::default();
        out.add_to(&mut w, tables, &self.version)?;
        let rows = ids.iter().filter_map(|id| states.risk.get_key_value(id));
        risk_state::add_to(&mut w, tables.name("customer_risk"), rows)?;
        w.execute(tx).await?;
        if live {
            forget_unscored(&ids, &mut states);
            self.live().pending = Some((states, !out.outbox.is_empty()));
        }
        Ok(())
    }

    fn step_starts(&self, at: &StepMark) {
        let mut live = self.live();
        live.pending = None;
        if live.mark.as_ref() != Some(at) {
            *live = LiveMemory::default();
        }
    }

    fn committed(&self, mark: &StepMark) {
        let asked = {
            let mut live = self.live();
            let asked = match live.pending.take() {
                Some((states, asked)) => {
                    live.held = states;
                    asked
                }
                None => false,
            };
            if live.held.entries.len() > self.memory_customers {
                live.held = States::default();
            }
            live.mark = Some(*mark);
            asked
        };
        if let (true, Some(decided)) = (asked, &self.decided) {
            decided.notify_one();
        }
    }

    fn step_failed(&self) {
        *self.live() = LiveMemory::default();
    }

    async fn apply_rebuilding(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
        memory: &mut RebuildMemory,
    ) -> Result<(), ProjectionError> {
        let (decoded, ids) = decode(events)?;
        if decoded.is_empty() {
            return Ok(());
        }
        let states = &mut memory.states;
        if memory.spilled {
            load_missing(tx, tables, &ids, states).await?;
        }
        let triggers = fold(&decoded, states);
        let mut scored: Vec<String> = triggers.keys().map(|id| (*id).to_owned()).collect();
        scored.sort_unstable();
        let mut out = Output::default();
        self.score(
            &scored,
            states,
            &triggers,
            tables.is_live(),
            false,
            &mut out,
        )?;
        let mut w = Writes::default();
        out.add_to(&mut w, tables, &self.version)?;
        w.execute(tx).await?;
        forget_unscored(&ids, states);
        if states.entries.len() > self.memory_customers {
            write_all(tx, tables, &self.version, states).await?;
            *memory = RebuildMemory {
                spilled: true,
                ..RebuildMemory::default()
            };
        }
        Ok(())
    }

    async fn finish_rebuild(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        memory: RebuildMemory,
    ) -> Result<(), ProjectionError> {
        write_all(tx, tables, &self.version, &memory.states).await
    }
}

/// Reads the states and risk rows of the customers of `ids` that `states`
/// does not hold.
async fn load_missing(
    tx: &mut PgConnection,
    tables: &Tables,
    ids: &[String],
    states: &mut States,
) -> Result<(), ProjectionError> {
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !states.entries.contains_key(*id))
        .cloned()
        .collect();
    load_states(
        tx,
        tables.name("customer_features"),
        &missing,
        &mut states.entries,
    )
    .await?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !states.risk.contains_key(*id))
        .cloned()
        .collect();
    risk_state::load(tx, tables.name("customer_risk"), &missing, &mut states.risk).await?;
    Ok(())
}
