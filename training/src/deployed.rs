//! The system as deployed, measured the way customers experience it: every
//! customer is decided at each of their events *and* at each day's end (time
//! passing is a signal: a due date passes unpaid, windows roll), with the
//! production decide function (`domain::risk::decide`), and an alert goes out when the band rises into
//! High. Over the whole period it counts the share of delinquent customers
//! messaged at least 30 days before their first 30+ days past due, the share
//! of never-delinquent customers messaged at all, the median lead, and the
//! alerts per 1,000 customers a month.
//!
//! No look-ahead: a moment's features fold only the events that happened at
//! or before it (in business-time order, so a late-arriving fact lands in its
//! own day); a customer is followed until their first 30+ days past due, or
//! to the end of the data.
//!
//! A [`Timeline`] keeps each moment's ensemble score and the rules that
//! fired, so the High threshold's trade-off curve ([`curve`]) and the choice
//! of a threshold under a false-alarm budget ([`choose_high`]) cost no
//! rescoring.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::customer::LogCheckpoint;
use domain::features::FeatureState;
use domain::risk::{decide, Band, Decided, DecisionPoint, LastDecision, ModelArtifact};
use serde::Serialize;

use crate::pit::History;

/// Days before the first 30+ days past due that count as early.
pub const EARLY_DAYS: i64 = 30;

/// One decision moment of one customer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    /// Seconds since the epoch.
    pub at: i64,
    /// The ensemble probability.
    pub score: f64,
    /// Bit `k` set: rule `k` of the artifact fired.
    pub fired: u64,
}

/// A customer's decision moments, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Customer id.
    pub customer_id: String,
    /// When they first reached 30+ days past due (seconds), if ever.
    pub first_delinquent: Option<i64>,
    /// The moments up to (not including) `first_delinquent`.
    pub moments: Vec<Moment>,
    /// Months the customer was followed (for alert rates).
    pub months: f64,
    /// The first decision in the artifact's own High band, if any: what an
    /// analyst asks of a message (why this customer, then).
    pub first_high: Option<FirstHigh>,
}

/// The first High decision of a timeline: its moment, the features scored
/// and the reasons given (codes, in the order the customer reads them).
#[derive(Clone, Debug, PartialEq)]
pub struct FirstHigh {
    /// Seconds since the epoch.
    pub at: i64,
    /// The features the decision scored.
    pub features: domain::features::Features,
    /// The reason codes (`model:<feature>`, `rule:<id>`).
    pub reasons: Vec<String>,
}

/// The first second of the UTC day after `t`.
fn next_day_start(t: i64) -> i64 {
    (t.div_euclid(86_400) + 1) * 86_400
}

/// Decides `history` at each event and each day's end up to `end` (or the
/// first delinquency), with `model` (whose version is `version`).
pub fn timeline(
    model: &ModelArtifact,
    version: &str,
    customer_id: &str,
    history: &History,
    end: DateTime<Utc>,
) -> Timeline {
    let delinquent = history.first_delinquent().map(|d| d.timestamp());
    let mut events: Vec<_> = history.events.iter().filter(|e| e.is_behaviour()).collect();
    // Business-time order, stable for equal times: a fact that arrived late
    // is folded into its own day, as if it had arrived on time.
    events.sort_by_key(|e| e.occurred_at());
    let stop = delinquent.unwrap_or(end.timestamp() + 1);
    let mut moments = Vec::new();
    let mut state = FeatureState::default();
    let mut last: (Band, Vec<String>) = (Band::Low, Vec::new());
    let mut first_high = None;
    let mut decide = |state: &FeatureState, at: i64| {
        let Some(as_of) = DateTime::from_timestamp(at, 0) else {
            return;
        };
        // The production decide function, with the last decision carried
        // from moment to moment as the aggregate carries it.
        let checkpoint = LogCheckpoint {
            tx_id: 0,
            position: at,
        };
        let point = DecisionPoint::at_event(customer_id, 0, "evaluation", checkpoint, as_of);
        let last_decision = LastDecision {
            band: last.0,
            rules: &last.1,
        };
        let Decided {
            verdict: v,
            decision,
        } = decide(model, version, state, &point, Some(last_decision));
        if let Some(d) = decision {
            if d.band == Band::High && first_high.is_none() {
                first_high = Some(FirstHigh {
                    at,
                    features: d.features,
                    reasons: d.reasons.iter().map(|r| r.code.clone()).collect(),
                });
            }
            last = (d.band, d.fired_rules.into_iter().map(|r| r.id).collect());
        }
        let mut fired = 0_u64;
        for r in &v.fired_rules {
            if let Some(k) = model.rules.rules.iter().position(|x| x.id == r.id) {
                fired |= 1 << k.min(63);
            }
        }
        moments.push(Moment {
            at,
            score: v.scores.ensemble,
            fired,
        });
    };
    let first = events.first().map(|e| e.occurred_at().timestamp());
    let mut i = 0;
    let mut day_end = first.map_or(stop, next_day_start);
    while i < events.len() || day_end < stop {
        let next_event = events.get(i).map(|e| e.occurred_at().timestamp());
        match next_event {
            Some(t) if t < stop && t < day_end => {
                // Every event at this instant, then one decision.
                while events
                    .get(i)
                    .is_some_and(|e| e.occurred_at().timestamp() == t)
                {
                    state.apply(events[i]);
                    i += 1;
                }
                decide(&state, t);
            }
            _ if day_end < stop => {
                decide(&state, day_end);
                day_end += 86_400;
            }
            _ => break,
        }
    }
    let span = first.map_or(0, |f| stop.min(end.timestamp()) - f).max(0);
    Timeline {
        customer_id: customer_id.to_owned(),
        first_delinquent: delinquent,
        moments,
        months: span as f64 / (86_400.0 * 30.4375),
        first_high,
    }
}

/// Timelines of every customer in `histories`, followed to the end of the
/// data (the latest event of any customer), on two threads.
pub fn timelines(model: &ModelArtifact, histories: &BTreeMap<String, History>) -> Vec<Timeline> {
    let end = histories
        .values()
        .flat_map(|h| h.events.iter().filter(|e| e.is_behaviour()))
        .map(domain::CustomerEvent::occurred_at)
        .max();
    let Some(end) = end else {
        return Vec::new();
    };
    let items: Vec<(&String, &History)> = histories.iter().collect();
    let half = items.len().div_ceil(2);
    let (a, b) = items.split_at(half.min(items.len()));
    let version = model.version();
    let run = |part: &[(&String, &History)]| {
        part.iter()
            .map(|(id, h)| timeline(model, &version, id, h, end))
            .collect::<Vec<_>>()
    };
    std::thread::scope(|s| {
        let second = s.spawn(|| run(b));
        let mut out = run(a);
        // A panic on the other thread is a bug, never half the portfolio.
        match second.join() {
            Ok(rest) => out.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        out
    })
}

/// Which moments alert: the band is High when the score reaches `high` or a
/// rule in `high_rules` (bit mask) fires; an alert goes out whenever the
/// band rises into High.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HighBand {
    /// Lowest ensemble probability banded High.
    pub high: f64,
    /// Rules that set High.
    pub high_rules: u64,
}

impl HighBand {
    /// The artifact's own High band.
    pub fn of(model: &ModelArtifact) -> Self {
        let mut high_rules = 0;
        for (k, r) in model.rules.rules.iter().enumerate() {
            if r.band == Band::High {
                high_rules |= 1 << k.min(63);
            }
        }
        Self {
            high: model.bands.high,
            high_rules,
        }
    }

    /// Whether moment `m` is in this High band.
    pub fn is_high(&self, m: &Moment) -> bool {
        m.score.is_nan() || m.score >= self.high || m.fired & self.high_rules != 0
    }
}

/// What customers experienced, over the whole period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Experienced {
    /// Customers who became delinquent (30+ days past due).
    pub delinquent_customers: usize,
    /// Of those, the share messaged at least 30 days before.
    pub flagged_30_days_early: f64,
    /// Of those, the share messaged at any time before.
    pub flagged_before: f64,
    /// Median days from the first message to delinquency (those messaged before).
    pub median_lead_days: f64,
    /// Customers who never became delinquent.
    pub never_delinquent_customers: usize,
    /// Of those, the share messaged at all.
    pub false_alarm_rate: f64,
    /// Risk alerts (rises into High) per 1,000 customers per month followed.
    pub alerts_per_1000_customers_per_month: f64,
    /// Decision moments evaluated (events and day ends).
    pub moments: usize,
    /// Lead time in days of every delinquent customer messaged before.
    #[serde(skip)]
    pub lead_days: Vec<f64>,
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// One customer's outcome: when they became delinquent and when they were
/// first messaged, if ever (seconds since the epoch).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Customer id.
    pub customer_id: String,
    /// First 30+ days past due.
    pub first_delinquent: Option<i64>,
    /// First risk alert (rise into High).
    pub first_message: Option<i64>,
    /// The first decision in the artifact's own High band (the first
    /// message when the policy is the artifact's own, without confirmation).
    pub first_high: Option<FirstHigh>,
}

/// Every customer's outcome with band `band`, in the order of `timelines`.
pub fn outcomes(timelines: &[Timeline], band: HighBand) -> Vec<Outcome> {
    timelines
        .iter()
        .map(|t| Outcome {
            customer_id: t.customer_id.clone(),
            first_delinquent: t.first_delinquent,
            first_message: t.moments.iter().find(|m| band.is_high(m)).map(|m| m.at),
            first_high: t.first_high.clone(),
        })
        .collect()
}

/// The experienced figures of `timelines` with band `band`.
pub fn experienced(timelines: &[Timeline], band: HighBand) -> Experienced {
    let (mut delinquent, mut early, mut before, mut never, mut false_alarms) = (0, 0, 0, 0, 0);
    let (mut alerts, mut months, mut moments) = (0_usize, 0.0, 0);
    let mut leads = Vec::new();
    for t in timelines {
        moments += t.moments.len();
        months += t.months;
        let mut was_high = false;
        let mut first_alert = None;
        for m in &t.moments {
            let high = band.is_high(m);
            if high && !was_high {
                alerts += 1;
                first_alert.get_or_insert(m.at);
            }
            was_high = high;
        }
        match t.first_delinquent {
            Some(d) => {
                delinquent += 1;
                if let Some(a) = first_alert {
                    before += 1;
                    leads.push((d - a) as f64 / 86_400.0);
                    if d - a >= EARLY_DAYS * 86_400 {
                        early += 1;
                    }
                }
            }
            None => {
                never += 1;
                false_alarms += usize::from(first_alert.is_some());
            }
        }
    }
    leads.sort_by(f64::total_cmp);
    Experienced {
        delinquent_customers: delinquent,
        flagged_30_days_early: share(early, delinquent),
        flagged_before: share(before, delinquent),
        median_lead_days: median(&leads),
        never_delinquent_customers: never,
        false_alarm_rate: share(false_alarms, never),
        alerts_per_1000_customers_per_month: if months > 0.0 {
            alerts as f64 * 1000.0 / months
        } else {
            0.0
        },
        moments,
        lead_days: leads,
    }
}

/// One point of the trade-off curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    /// The High threshold.
    pub high: f64,
    /// Share of delinquent customers messaged at least 30 days before.
    pub flagged_30_days_early: f64,
    /// Share of never-delinquent customers messaged.
    pub false_alarm_rate: f64,
}

/// The highest score of a customer's moments before `until` (seconds), with
/// a rule in `high_rules` counting as certain.
fn peak(t: &Timeline, until: i64, high_rules: u64) -> f64 {
    t.moments
        .iter()
        .take_while(|m| m.at <= until)
        .map(|m| {
            if m.fired & high_rules != 0 || m.score.is_nan() {
                f64::INFINITY
            } else {
                m.score
            }
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The trade-off curve over High thresholds `thresholds`, with the rules in
/// `high_rules` setting High: for each, the share of delinquents messaged
/// early and of healthy customers messaged at all.
pub fn curve(timelines: &[Timeline], high_rules: u64, thresholds: &[f64]) -> Vec<CurvePoint> {
    curve_on_every(timelines, |_| 0, high_rules, thresholds)
}

/// The trade-off curve when the false-alarm budget must hold on every
/// portfolio (`portfolio_of` a customer, numbered from 0): for each
/// threshold, the share of all delinquents messaged early and the
/// false-alarm rate of the portfolio with the most. A policy chosen on a
/// pooled rate would spend a harder portfolio's budget on an easier one's
/// quiet (the pooled 8 % of a mix of portfolios was 9–10 % on its harder
/// kinds).
pub fn curve_on_every(
    timelines: &[Timeline],
    portfolio_of: impl Fn(&str) -> usize,
    high_rules: u64,
    thresholds: &[f64],
) -> Vec<CurvePoint> {
    let mut early_peaks = Vec::new();
    let mut healthy_peaks: Vec<Vec<f64>> = Vec::new();
    for t in timelines {
        match t.first_delinquent {
            Some(d) => early_peaks.push(peak(t, d - EARLY_DAYS * 86_400, high_rules)),
            None => {
                let k = portfolio_of(&t.customer_id);
                if healthy_peaks.len() <= k {
                    healthy_peaks.resize_with(k + 1, Vec::new);
                }
                healthy_peaks[k].push(peak(t, i64::MAX, high_rules));
            }
        }
    }
    thresholds
        .iter()
        .map(|&high| CurvePoint {
            high,
            flagged_30_days_early: share(
                early_peaks.iter().filter(|p| **p >= high).count(),
                early_peaks.len(),
            ),
            false_alarm_rate: healthy_peaks
                .iter()
                .map(|peaks| share(peaks.iter().filter(|p| **p >= high).count(), peaks.len()))
                .fold(0.0, f64::max),
        })
        .collect()
}

/// Thresholds 0.01, 0.02, … 0.99.
pub fn threshold_grid() -> Vec<f64> {
    (1..100).map(|k| f64::from(k) / 100.0).collect()
}

/// The lowest grid threshold whose false-alarm rate is within `budget`
/// (the most delinquents reached within it), and its point; the highest
/// grid threshold when none is.
pub fn choose_high(points: &[CurvePoint], budget: f64) -> CurvePoint {
    points
        .iter()
        .find(|p| p.false_alarm_rate <= budget)
        .or(points.last())
        .copied()
        .unwrap_or(CurvePoint {
            high: 0.99,
            flagged_30_days_early: 0.0,
            false_alarm_rate: 0.0,
        })
}
