//! A customer's state as it stood at a moment or at a log position, computed
//! from the log alone: the features the read side held then (folded as the
//! scoring projection folds), the band in force (the latest recorded
//! decision's, Low before any), and that decision.
//!
//! # Cut-offs
//! - [`Cutoff::Position`]: everything at or before that event in commit
//!   order — exactly what a reader of the log had seen on reaching it.
//! - [`Cutoff::Checkpoint`]: the same with the `(tx_id, position)` pair
//!   given (e.g. a decision's checkpoint).
//! - [`Cutoff::At`]: recording time — what the system knew at that moment:
//!   everything whose transaction had been fully recorded by then (see
//!   [`crate::log::stream_recorded_by`]); times are the log's `recorded_at`.
//! - [`Cutoff::OccurredBy`]: business time — the facts that occurred by that
//!   moment, as they are known now (a fact that arrived late counts in its
//!   own time): every stored event whose business time is at or before it,
//!   the features as of that moment, and the decision in force then.
//!
//! With nothing known at the cut-off (no event of the customer yet), the
//! answer says so (`known: false`) and gives no band.
//!
//! # Extending
//! More state as of a moment (open alerts, their delivery) plugs in as a
//! [`Section`]: it sees every event of the customer's stream up to the
//! cut-off, in commit order, and renders its part of the answer under its
//! name in [`StateAsOf::sections`]. Nothing else needs to change.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::features::Features;
use domain::risk::Band;
use domain::CustomerEvent;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::fold::ScoringFold;
use crate::log::{self, LogEvent};
use crate::{AuditError, Checkpoint};

/// Where to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cutoff {
    /// Recording time: transactions fully recorded at or before this time.
    At(DateTime<Utc>),
    /// Business time: facts that occurred at or before this time, as known now.
    OccurredBy(DateTime<Utc>),
    /// Commit order up to the event at this global position.
    Position(i64),
    /// Commit order up to this checkpoint.
    Checkpoint(Checkpoint),
}

/// More state folded from the stream (the extension point, e.g. alerts).
pub trait Section: Send {
    /// Key of this section in [`StateAsOf::sections`].
    fn name(&self) -> &'static str;
    /// Folds the next event of the stream (commit order, up to the cut-off).
    fn apply(&mut self, event: &LogEvent);
    /// The section's state as of the cut-off.
    fn render(&self) -> Value;
}

/// The recorded decision in force at the cut-off.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionInForce {
    /// Its id.
    pub decision_id: String,
    /// Its sequence in the stream.
    pub sequence: i64,
    /// When the log stored it.
    pub recorded_at: DateTime<Utc>,
    /// Business time of its features.
    pub as_of: DateTime<Utc>,
    /// Band before it.
    pub band_before: Band,
    /// Its band.
    pub band: Band,
    /// Rules that fired.
    pub fired_rules: Vec<String>,
    /// Ensemble score.
    pub score: f64,
    /// Model that made it.
    pub model_version: String,
}

/// Which clock a cut-off reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TimeAxis {
    /// When the log recorded the facts: what the system knew then.
    Recording,
    /// When the facts occurred, as they are known now.
    Business,
    /// A place in the log's commit order.
    LogPosition,
}

impl Cutoff {
    /// The clock this cut-off reads.
    pub fn axis(&self) -> TimeAxis {
        match self {
            Cutoff::At(_) => TimeAxis::Recording,
            Cutoff::OccurredBy(_) => TimeAxis::Business,
            Cutoff::Position(_) | Cutoff::Checkpoint(_) => TimeAxis::LogPosition,
        }
    }
}

/// A customer's state at a cut-off.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateAsOf {
    /// The customer.
    pub customer_id: String,
    /// The cut-off asked for.
    pub cutoff: Cutoff,
    /// The clock it reads.
    pub time: TimeAxis,
    /// What the answer is, in words (e.g. "nothing known yet").
    pub meaning: String,
    /// Whether anything about the customer was known at the cut-off.
    pub known: bool,
    /// The last event of the customer at or before it (commit order).
    pub last_event: Option<Checkpoint>,
    /// Events of the customer at or before it.
    pub events: usize,
    /// Business time the features are as of (the latest folded).
    pub features_as_of: Option<DateTime<Utc>>,
    /// The features the read side held then.
    pub features: Option<Features>,
    /// The band in force: the decision in force's, Low before any; none
    /// when nothing was known.
    pub band: Option<Band>,
    /// The decision in force.
    pub decision: Option<DecisionInForce>,
    /// Extension sections by name (`alerts`: `{"open": […], "all": […]}`
    /// with each alert's state then).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub sections: BTreeMap<String, Value>,
}

/// `customer`'s state at `cutoff`, with the extra `sections`.
pub async fn state_as_of(
    pool: &PgPool,
    customer: &str,
    cutoff: Cutoff,
    mut sections: Vec<Box<dyn Section>>,
) -> Result<StateAsOf, AuditError> {
    let events = match cutoff {
        Cutoff::At(at) => log::stream_recorded_by(pool, customer, at).await?,
        Cutoff::OccurredBy(at) => log::stream(pool, customer)
            .await?
            .into_iter()
            .filter(|e| e.event.occurred_at() <= at)
            .collect(),
        Cutoff::Position(p) => {
            let cp = log::checkpoint_at(pool, p).await?;
            log::stream_until(pool, customer, cp).await?
        }
        Cutoff::Checkpoint(cp) => log::stream_until(pool, customer, cp).await?,
    };
    if !log::customer_exists(pool, customer).await? {
        return Err(AuditError::NotFound(format!("customer {customer}")));
    }
    let mut fold = ScoringFold::default();
    let mut decision = None;
    for e in &events {
        fold.apply(e);
        if let CustomerEvent::RiskAssessed(d) = &e.event {
            let a = &d.assessment;
            decision = Some(DecisionInForce {
                decision_id: a.decision_id.clone(),
                sequence: e.sequence,
                recorded_at: e.recorded_at,
                as_of: a.as_of,
                band_before: d.band_before,
                band: a.band,
                fired_rules: a.fired_rules.iter().map(|r| r.id.clone()).collect(),
                score: a.scores.ensemble,
                model_version: a.model_version.clone(),
            });
        }
        for s in &mut sections {
            s.apply(e);
        }
    }
    let known = !events.is_empty();
    // In business time the features are as of the moment asked; otherwise
    // as of the latest business time folded, as the read side held them.
    let (features_as_of, features) = match cutoff {
        Cutoff::OccurredBy(at) => fold.features_at(Some(at)).unzip(),
        _ => (fold.as_of(), fold.features()),
    };
    let meaning = match (known, cutoff) {
        (false, _) => "nothing known yet".to_owned(),
        (true, Cutoff::At(at)) => format!(
            "what the system knew at {} (recording time)",
            at.to_rfc3339()
        ),
        (true, Cutoff::OccurredBy(at)) => format!(
            "the facts that occurred by {} (business time), as known now",
            at.to_rfc3339()
        ),
        (true, _) => "what a reader of the log had seen at this position".to_owned(),
    };
    Ok(StateAsOf {
        customer_id: customer.to_owned(),
        cutoff,
        time: cutoff.axis(),
        meaning,
        known,
        last_event: events.last().map(|e| e.checkpoint),
        events: events.len(),
        features_as_of,
        features,
        band: known.then(|| decision.as_ref().map_or(Band::Low, |d| d.band)),
        decision,
        sections: sections
            .iter()
            .map(|s| (s.name().to_owned(), s.render()))
            .collect(),
    })
}
