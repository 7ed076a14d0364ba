//! Replay of every decision of a portfolio (or one customer, or those since
//! a date), fast enough to run routinely.
//!
//! - **Each customer's events are read once** for all its decisions: the
//!   stream is folded forward in commit order and each decision is judged
//!   when the fold reaches its checkpoint (not when it reaches the decision
//!   event itself: decisions are recorded asynchronously, so other events of
//!   the customer can commit between a trigger and its decision).
//! - **Customers in parallel**: customers are read in chunks (one query per
//!   chunk), `jobs` chunks at a time; the CPU part (decoding, folding,
//!   scoring, explaining) runs on blocking threads so reads and computation
//!   overlap.
//! - Models come from the registry once per version ([`ModelCache`]).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use domain::risk::Band;
use domain::CustomerEvent;
use serde::Serialize;
use sqlx::{PgPool, Row};

use crate::fold::ScoringFold;
use crate::log::{self, customer_type, LogEvent};
use crate::models::{Loaded, ModelCache};
use crate::replay::{judge, Evidence, Replay, Verdict};
use crate::{AuditError, Checkpoint};

/// What to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Only this customer.
    pub customer: Option<String>,
    /// Only decisions whose as-of (business time) is at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Chunks in flight at once.
    pub jobs: usize,
    /// Customers read per query.
    pub chunk: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            customer: None,
            since: None,
            jobs: 4,
            chunk: 32,
        }
    }
}

/// The customers with decisions to verify and how many each has.
pub async fn plan(pool: &PgPool, opts: &VerifyOptions) -> Result<Vec<(String, i64)>, AuditError> {
    // One customer goes through the stream's index; a generic plan for
    // "this customer or all" would scan the whole log.
    let customer = if opts.customer.is_some() {
        "AND aggregate_id = $2"
    } else {
        "AND $2::text IS NULL"
    };
    let rows = sqlx::query(&format!(
        "SELECT aggregate_id, count(*) AS n FROM events \
         WHERE aggregate_type = $1 AND event_type = 'RiskAssessed' {customer} \
           AND ($3::timestamptz IS NULL \
                OR (payload->'RiskAssessed'->'assessment'->>'as_of')::timestamptz >= $3) \
         GROUP BY aggregate_id ORDER BY aggregate_id"
    ))
    .bind(customer_type())
    .bind(&opts.customer)
    .bind(opts.since)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("aggregate_id")?, r.try_get("n")?)))
        .collect()
}

/// One customer's verification.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerOutcome {
    /// The customer.
    pub customer_id: String,
    /// Decisions replayed.
    pub checked: usize,
    /// Those that did not match.
    pub mismatches: Vec<Replay>,
}

/// Totals of a verification run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Customers verified.
    pub customers: usize,
    /// Decisions replayed.
    pub decisions: usize,
    /// Decisions reproduced bit for bit.
    pub matched: usize,
    /// Decisions that were not.
    pub mismatched: usize,
    /// Wall time.
    pub seconds: f64,
    /// Decisions per second.
    pub decisions_per_sec: f64,
}

/// A verification run: totals and every mismatch.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// The decisions that did not replay, with their differences.
    pub mismatches: Vec<Replay>,
}

/// A callback after each customer verified (called from several tasks).
pub type Progress = Arc<dyn Fn(&CustomerOutcome) + Send + Sync>;

/// Verifies the decisions selected by `opts`.
pub async fn verify(
    pool: &PgPool,
    opts: &VerifyOptions,
    progress: Progress,
) -> Result<Report, AuditError> {
    let customers = plan(pool, opts)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    verify_customers(pool, opts, customers, progress).await
}

/// Verifies the decisions of `customers` (from [`plan`]) selected by `opts`.
pub async fn verify_customers(
    pool: &PgPool,
    opts: &VerifyOptions,
    customers: Vec<String>,
    progress: Progress,
) -> Result<Report, AuditError> {
    let started = Instant::now();
    let chunks: Arc<Vec<Vec<String>>> = Arc::new(
        customers
            .chunks(opts.chunk.max(1))
            .map(<[String]>::to_vec)
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let models = Arc::new(ModelCache::new());
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..opts.jobs.max(1) {
        let (pool, chunks, next, models, progress) = (
            pool.clone(),
            chunks.clone(),
            next.clone(),
            models.clone(),
            progress.clone(),
        );
        let since = opts.since;
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ids) = chunks.get(i) else { break };
                for o in verify_chunk(&pool, &models, ids, since).await? {
                    progress(&o);
                    outcomes.push(o);
                }
            }
            Ok::<_, AuditError>(outcomes)
        });
    }
    let mut summary = Summary::default();
    let mut mismatches = Vec::new();
    while let Some(done) = workers.join_next().await {
        let outcomes =
            done.map_err(|e| AuditError::Corrupt(format!("a verification task failed: {e}")))??;
        for o in outcomes {
            summary.customers += 1;
            summary.decisions += o.checked;
            summary.mismatched += o.mismatches.len();
            mismatches.extend(o.mismatches);
        }
    }
    summary.matched = summary.decisions - summary.mismatched;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.decisions_per_sec = summary.decisions as f64 / summary.seconds.max(1e-9);
    mismatches.sort_by(|a, b| (&a.customer_id, a.sequence).cmp(&(&b.customer_id, b.sequence)));
    Ok(Report {
        summary,
        mismatches,
    })
}

/// Reads the streams of `ids` in one query and verifies each.
pub async fn verify_chunk(
    pool: &PgPool,
    models: &Arc<ModelCache>,
    ids: &[String],
    since: Option<DateTime<Utc>>,
) -> Result<Vec<CustomerOutcome>, AuditError> {
    let events = log::streams(pool, ids).await?;
    // Load every model the chunk's decisions name before the CPU part.
    let versions: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| match &e.event {
            CustomerEvent::RiskAssessed(d) => Some(d.assessment.model_version.as_str()),
            _ => None,
        })
        .collect();
    for v in versions {
        // An unusable model is not an error here: each decision naming it
        // reports why it cannot be replayed.
        let _loaded = models.get(pool, v).await?;
    }
    let models = models.clone();
    tokio::task::spawn_blocking(move || {
        events
            .chunk_by(|a, b| a.customer_id == b.customer_id)
            .map(|stream| verify_stream(stream, &models, since))
            .collect()
    })
    .await
    .map_err(|e| AuditError::Corrupt(format!("a verification task failed: {e}")))
}

/// Verifies every decision of one customer's stream (events in commit
/// order), folding it once.
pub fn verify_stream(
    events: &[LogEvent],
    models: &ModelCache,
    since: Option<DateTime<Utc>>,
) -> CustomerOutcome {
    let customer_id = events
        .first()
        .map(|e| e.customer_id.clone())
        .unwrap_or_default();
    // Decisions with the band recorded before each (stream order).
    let mut decisions: Vec<(&LogEvent, &domain::customer::RiskAssessed, Band)> = Vec::new();
    let mut by_sequence: Vec<&LogEvent> = events.iter().collect();
    by_sequence.sort_by_key(|e| e.sequence);
    let mut previous = Band::Low;
    for e in by_sequence {
        if let CustomerEvent::RiskAssessed(d) = &e.event {
            decisions.push((e, d, previous));
            previous = d.assessment.band;
        }
    }
    decisions.retain(|(_, d, _)| since.is_none_or(|s| d.assessment.as_of >= s));
    // Judge each when the fold reaches its checkpoint.
    let at = |d: &domain::customer::RiskAssessed| Checkpoint {
        tx_id: d.assessment.checkpoint.tx_id,
        position: d.assessment.checkpoint.position,
    };
    decisions.sort_by_key(|(e, d, _)| (at(d), e.sequence));
    let mut fold = ScoringFold::default();
    let mut next = 0;
    let mut mismatches = Vec::new();
    for (e, d, band_before) in &decisions {
        let cp = at(d);
        while let Some(ev) = events.get(next).filter(|ev| ev.checkpoint <= cp) {
            fold.apply(ev);
            next += 1;
        }
        let model: Loaded = models
            .cached(&d.assessment.model_version)
            .unwrap_or_else(|| Err("not loaded".into()));
        let evidence = Evidence {
            customer_id: &customer_id,
            trigger: fold.trigger(),
            features: fold.features_at(d.assessment.day_ended().map(|_| d.assessment.as_of)),
            band_before: *band_before,
        };
        if let Verdict::Mismatch(diffs) = judge(d, &evidence, &model) {
            mismatches.push(Replay {
                decision_id: d.assessment.decision_id.clone(),
                customer_id: customer_id.clone(),
                sequence: e.sequence,
                model_version: d.assessment.model_version.clone(),
                events_folded: next,
                verdict: Verdict::Mismatch(diffs),
            });
        }
    }
    CustomerOutcome {
        customer_id,
        checked: decisions.len(),
        mismatches,
    }
}
