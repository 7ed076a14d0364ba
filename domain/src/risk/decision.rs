//! The decision: the one place that turns a customer's folded state, an
//! as-of moment, a model and the last decision into the decision to record
//! (or none). Live scoring, `evaluate` and the auditor's replay all call
//! [`decide`], so what is measured is what runs, and what is replayed is
//! what was decided.
//!
//! A decision is *news* ([`is_news`]) when the band differs from the last
//! one decided, or a rule fires that did not fire in it; only news is
//! recorded. The decision id is the customer and the log position of its
//! trigger, so a replayed trigger decides nothing new.
//!
//! Time passing is a signal too: at each day's end every active customer is
//! decided again as of that moment ([`DecisionPoint::at_day_end`]). Such a
//! decision's trigger is the customer's last behaviour event (what the state
//! was folded to) under the event type [`DAY_END`], its as-of moment is the
//! end of the day, and its id is the customer and the day, so a day is
//! decided once however often its evaluation runs.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use super::{verdict, ModelArtifact, Verdict};
use crate::customer::{DecisionTrigger, LogCheckpoint, RecordRiskAssessment};
use crate::features::{FeatureState, Features};

/// Where and when a decision is made.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionPoint<'a> {
    /// The customer.
    pub customer_id: &'a str,
    /// The event whose arrival led to it.
    pub trigger: DecisionTrigger,
    /// The log checkpoint the state was folded to.
    pub checkpoint: LogCheckpoint,
    /// The as-of moment of the features (business time).
    pub as_of: DateTime<Utc>,
}

/// The trigger event type of a day-end decision (no stored event has it).
pub const DAY_END: &str = "DayEnded";

/// 00:00 UTC of the day after `day`: the moment `day` has ended.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.checked_add_days(Days::new(1))
        .unwrap_or(day)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// The day a day-end decision as of `as_of` closes (the day before its date).
pub fn day_ended_at(as_of: DateTime<Utc>) -> NaiveDate {
    let date = as_of.date_naive();
    date.checked_sub_days(Days::new(1)).unwrap_or(date)
}

/// Decision ids of both shapes, as a regular expression (for the API
/// description): a customer id, then `:` and a log position or `:day:`
/// and a date. It is a little stricter than [`decision_customer`] (days 1
/// to 28 only, so every id it describes is a real date), never looser.
pub const DECISION_ID_PATTERN: &str = r"^[A-Za-z0-9_.:\-]{1,64}:([0-9]{1,18}|day:(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))$";

/// The customer a decision id names, when `id` has one of the two shapes
/// decisions are named by: `<customer>:<log position>` or
/// `<customer>:day:<YYYY-MM-DD>`. Read from the right, since a customer id
/// may itself hold `:` (a day's tail is never all digits, so the two shapes
/// cannot be confused).
pub fn decision_customer(id: &str) -> Option<&str> {
    let day_tail = id.len().checked_sub(15).and_then(|i| {
        let (customer, tail) = (id.get(..i)?, id.get(i..)?);
        let date = tail.strip_prefix(":day:")?;
        date.parse::<NaiveDate>().ok().map(|_| customer)
    });
    let customer = match day_tail {
        Some(c) => c,
        None => {
            let (c, position) = id.rsplit_once(':')?;
            let digits = !position.is_empty() && position.bytes().all(|b| b.is_ascii_digit());
            if !digits || position.parse::<i64>().is_err() {
                return None;
            }
            c
        }
    };
    (!customer.is_empty()).then_some(customer)
}

impl<'a> DecisionPoint<'a> {
    /// The point of `customer_id`'s event `sequence` (of type `event_type`)
    /// at log `checkpoint`, deciding as of `as_of`.
    pub fn at_event(
        customer_id: &'a str,
        sequence: i64,
        event_type: &str,
        checkpoint: LogCheckpoint,
        as_of: DateTime<Utc>,
    ) -> Self {
        Self {
            customer_id,
            trigger: DecisionTrigger {
                sequence,
                global_position: checkpoint.position,
                event_type: event_type.to_owned(),
            },
            checkpoint,
            as_of,
        }
    }

    /// The point of `customer_id` at the end of `day`, their state folded
    /// to their last behaviour event `sequence` at log `checkpoint`.
    pub fn at_day_end(
        customer_id: &'a str,
        sequence: i64,
        checkpoint: LogCheckpoint,
        day: NaiveDate,
    ) -> Self {
        Self {
            customer_id,
            trigger: DecisionTrigger {
                sequence,
                global_position: checkpoint.position,
                event_type: DAY_END.to_owned(),
            },
            checkpoint,
            as_of: end_of_day(day),
        }
    }

    /// Whether this is a day-end point.
    pub fn is_day_end(&self) -> bool {
        self.trigger.event_type == DAY_END
    }

    /// The decision's id: the customer and the trigger's log position, or,
    /// at a day's end, the customer and the day.
    pub fn decision_id(&self) -> String {
        if self.is_day_end() {
            format!("{}:day:{}", self.customer_id, day_ended_at(self.as_of))
        } else {
            format!("{}:{}", self.customer_id, self.trigger.global_position)
        }
    }
}

/// The last decision asked for or recorded: its band and the rules that
/// fired in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LastDecision<'a> {
    /// Its band (Low before any decision).
    pub band: super::Band,
    /// Ids of the rules that fired in it.
    pub rules: &'a [String],
}

/// Whether a verdict with `band` and the rules `fired` is news after `last`:
/// the band changed, or a rule fired that had not fired in it.
pub fn is_news<'r>(
    last: LastDecision<'_>,
    band: super::Band,
    mut fired: impl Iterator<Item = &'r str>,
) -> bool {
    band != last.band || fired.any(|id| !last.rules.iter().any(|r| r == id))
}

/// A scored moment: the verdict, and the decision to record when it is news.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    /// Scores, fired rules and band.
    pub verdict: Verdict,
    /// The decision to record (`None`: nothing new).
    pub decision: Option<RecordRiskAssessment>,
}

/// Decides a customer at `point` from their folded `state` (features as of
/// `point.as_of`). With `last`, a decision is made only when the verdict is
/// news; without, always.
pub fn decide(
    model: &ModelArtifact,
    model_version: &str,
    state: &FeatureState,
    point: &DecisionPoint<'_>,
    last: Option<LastDecision<'_>>,
) -> Decided {
    decide_features(
        model,
        model_version,
        state.features(point.as_of),
        point,
        last,
    )
}

/// [`decide`] on features already computed as of `point.as_of`.
pub fn decide_features(
    model: &ModelArtifact,
    model_version: &str,
    features: Features,
    point: &DecisionPoint<'_>,
    last: Option<LastDecision<'_>>,
) -> Decided {
    let v = verdict(model, &features);
    let news = last.is_none_or(|l| is_news(l, v.band, v.fired_rules.iter().map(|r| r.id.as_str())));
    if !news {
        return Decided {
            verdict: v,
            decision: None,
        };
    }
    let decision = record(model, model_version, v.clone(), features, point);
    Decided {
        verdict: v,
        decision: Some(decision),
    }
}

/// The decision `verdict` of `features` makes at `point`, explained (what
/// [`decide`] records when it is news; the auditor's replay re-derives a
/// recorded decision with it).
pub fn record(
    model: &ModelArtifact,
    model_version: &str,
    verdict: Verdict,
    features: Features,
    point: &DecisionPoint<'_>,
) -> RecordRiskAssessment {
    let a = verdict.explained(model, &features);
    RecordRiskAssessment {
        decision_id: point.decision_id(),
        trigger: point.trigger.clone(),
        checkpoint: point.checkpoint,
        as_of: point.as_of,
        model_version: model_version.to_owned(),
        rule_set_version: model.rules.version.clone(),
        features,
        scores: a.scores,
        fired_rules: a.fired_rules,
        band: a.band,
        explanation: a.explanation,
        reasons: a.reasons,
    }
}
