//! Behavioural features: pure functions of a customer's event history and an
//! as-of time, the inputs of the early-warning model.
//!
//! [`FeatureState`] folds a customer's events one at a time into a bounded
//! summary (daily buckets for the last [`RETENTION_DAYS`] days, the last
//! [`STATEMENTS_KEPT`] statements, over-limit days of the last year, recent
//! days-past-due reports). [`FeatureState::features`] computes the
//! [`Features`] as of a moment from that summary. [`features_from_history`]
//! is the reference definition — fold only the events that happened at or
//! before `as_of`, then compute — used by the trainer and the auditor's replay.
//!
//! # Time
//! - Days are UTC calendar days. An N-day window "up to as_of" is the N days
//!   ending with as_of's day: events on days `(day(as_of) − N, day(as_of)]`
//!   that happened at or before as_of.
//! - Nothing reads the clock: pruning is relative to the latest event folded.
//! - A statement is *due* by as_of once its due date has ended (as_of is at or
//!   after 00:00 UTC of the day after the due date), so a payment made on the
//!   due date is on time.
//!
//! # Incremental state versus the reference
//! Folding events in stream order and calling `features(as_of)` gives exactly
//! `features_from_history(events, as_of)` whenever as_of is at or after the
//! latest folded event (they are then the same fold). For an earlier as_of the
//! state ignores folded events that happened after it, with two limits: spend
//! and balance buckets resolve time to the UTC day (an event later on as_of's
//! own day still counts), and nothing older than the retention is kept.
//!
//! Payments and days-past-due reports are matched to statements when they
//! are folded, so one folded before the statement it belongs to (recorded out
//! of business-time order) is not matched; both paths fold in the same order,
//! so they still agree.
//!
//! # Determinism
//! Sums are integer minor units (converted to `f64` only at the end), maps
//! are `BTreeMap`s, and transcendental functions come from `libm`, so the same
//! events give bit-identical features on every machine.
//!
//! # Layout
//! - `mcc` — merchant category codes grouped into [`MerchantGroup`]s.
//! - `state` — [`FeatureState`] and how each event is folded into it;
//!   `corrections` — how reversals, returned payments and corrected
//!   statements are.
//! - `spend` — balance, spend and merchant-mix features from the day buckets.
//! - `repayment` — statement, payment and days-past-due features.
//! - `stats` — bounded ratios, coefficient of variation, normalised entropy.
//! - `tests`, `tests_repayment`, `tests_replay`, `test_support` — unit tests
//!   with hand-computed values, and the incremental-equals-reference property.

mod corrections;
pub mod legacy;
mod mcc;
mod repayment;
mod spend;
mod state;
mod stats;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corrections;
#[cfg(test)]
mod tests_order;
#[cfg(test)]
mod tests_repayment;
#[cfg(test)]
mod tests_replay;
mod vector;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerEvent;

pub use mcc::{MerchantGroup, GROUP_COUNT};
pub use state::{FeatureState, RETENTION_DAYS, STATEMENTS_KEPT};

/// How many features there are.
pub const FEATURE_COUNT: usize = 18;

/// The feature names, in the order of [`Features::to_vec`] (and of the fields).
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "utilisation",
    "over_limit_count",
    "cash_withdrawal_share",
    "spend_change_pct",
    "merchant_mix_index",
    "merchant_mix_change",
    "payment_ratio",
    "min_due_frequency",
    "consecutive_min_only",
    "payment_stability",
    "spend_volatility",
    "days_past_due",
    "max_days_past_due_6m",
    "late_months_6m",
    "returned_payments_90d",
    "credit_limit",
    "utilisation_trend",
    "payment_ratio_change",
];

/// A customer's behavioural features as of one moment. Every value is finite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Features {
    /// Balance at as_of ÷ credit limit at as_of, in [0, 1.5]; 0 when the balance is ≤ 0 (in credit), 1.5 when the limit is 0 and the balance positive.
    pub utilisation: f64,
    /// Number of UTC days with activity in the last 365 days (ended by as_of) that closed with the balance above the credit limit in force at their end.
    pub over_limit_count: f64,
    /// Cash withdrawals ÷ (purchases + cash withdrawals) over the last 30 days, in [0, 1]; 0 when there was no such spend.
    pub cash_withdrawal_share: f64,
    /// (spend in the last 30 days − prior 90 days' spend ÷ 3) ÷ (prior 90 days' spend ÷ 3), spend = purchases + cash withdrawals − refunds floored at 0 per window, in [−1, 5]; 0 when the prior 90 days had no spend.
    pub spend_change_pct: f64,
    /// Shannon entropy of the last 30 days' purchase amounts across merchant groups ÷ ln(number of groups), in [0, 1]; 0 with fewer than 2 purchases.
    pub merchant_mix_index: f64,
    /// Merchant mix index of the last 30 days minus that of the 90 days before them, in [−1, 1]; 0 when those 90 days had no purchase.
    pub merchant_mix_change: f64,
    /// Payments received from issue to the end of the due date of the latest due statement ÷ its closing balance, in [0, 1]; 1 when that balance is ≤ 0 or no statement is due yet.
    pub payment_ratio: f64,
    /// Share of the last 6 due statements with a positive minimum due on which the customer paid at most 1.1 × the minimum, in [0, 1]; 0 when there is none.
    pub min_due_frequency: f64,
    /// Number of most recent consecutive due statements, each with a positive minimum due, on which the customer paid at most 1.1 × the minimum (at most 12).
    pub consecutive_min_only: f64,
    /// Coefficient of variation (population std ÷ mean) of the payment ratios of the last 6 due statements, in [0, 5]; 0 with fewer than 2 statements or a zero mean.
    pub payment_stability: f64,
    /// Coefficient of variation (population std ÷ mean) of spend in the last six 30-day windows up to as_of that start on or after the day of the first event, in [0, 5]; 0 with fewer than 2 such windows or a zero mean.
    pub spend_volatility: f64,
    /// The latest days-past-due reported at or before as_of; 0 when none.
    pub days_past_due: f64,
    /// The largest days-past-due reported in the last 180 days; 0 when none.
    pub max_days_past_due_6m: f64,
    /// Number of the last 6 due statements followed by a days-past-due report above 0 after their due date and before the next statement was issued.
    pub late_months_6m: f64,
    /// Number of payments returned unpaid (bounced) in the last 90 days.
    #[serde(default)]
    pub returned_payments_90d: f64,
    /// The credit limit in force at as_of, in hundreds of minor units (major
    /// units of a two-decimal currency); 0 before the account is opened. Not a
    /// behaviour and never a reason: it lets a model read the other features
    /// against the size of the line (a small line at its limit is a different
    /// customer from a large one), which is where much of the real (UCI)
    /// data's signal is.
    #[serde(default)]
    pub credit_limit: f64,
    /// Mean end-of-day utilisation of the last 30 days minus that of the 90
    /// days before them (days from the account's first event on), in
    /// [−1.5, 1.5]; 0 with fewer than 30 such earlier days. The customer
    /// against their own past: a balance climbing towards the limit, not a
    /// balance that has always been high.
    #[serde(default)]
    pub utilisation_trend: f64,
    /// Mean payment ratio of the latest 2 due statements minus that of the
    /// up to 4 due before them, in [−1, 1]; 0 with fewer than 3 due
    /// statements. The customer against their own past: paying less than
    /// they used to, not a habit of small payments.
    #[serde(default)]
    pub payment_ratio_change: f64,
}

impl Features {
    /// The features from values in the order of [`FEATURE_NAMES`] (the
    /// inverse of [`Features::to_vec`]).
    pub fn from_array(v: [f64; FEATURE_COUNT]) -> Features {
        let [utilisation, over_limit_count, cash_withdrawal_share, spend_change_pct, merchant_mix_index, merchant_mix_change, payment_ratio, min_due_frequency, consecutive_min_only, payment_stability, spend_volatility, days_past_due, max_days_past_due_6m, late_months_6m, returned_payments_90d, credit_limit, utilisation_trend, payment_ratio_change] =
            v;
        Features {
            utilisation,
            over_limit_count,
            cash_withdrawal_share,
            spend_change_pct,
            merchant_mix_index,
            merchant_mix_change,
            payment_ratio,
            min_due_frequency,
            consecutive_min_only,
            payment_stability,
            spend_volatility,
            days_past_due,
            max_days_past_due_6m,
            late_months_6m,
            returned_payments_90d,
            credit_limit,
            utilisation_trend,
            payment_ratio_change,
        }
    }

    /// The values in the order of [`FEATURE_NAMES`].
    pub fn to_vec(&self) -> [f64; FEATURE_COUNT] {
        [
            self.utilisation,
            self.over_limit_count,
            self.cash_withdrawal_share,
            self.spend_change_pct,
            self.merchant_mix_index,
            self.merchant_mix_change,
            self.payment_ratio,
            self.min_due_frequency,
            self.consecutive_min_only,
            self.payment_stability,
            self.spend_volatility,
            self.days_past_due,
            self.max_days_past_due_6m,
            self.late_months_6m,
            self.returned_payments_90d,
            self.credit_limit,
            self.utilisation_trend,
            self.payment_ratio_change,
        ]
    }
}

/// The reference definition of the features: folds, in the order given, only
/// the events that happened at or before `as_of`, then computes the features
/// as of `as_of`. The trainer and the auditor's replay use this.
pub fn features_from_history<'a>(
    events: impl IntoIterator<Item = &'a CustomerEvent>,
    as_of: DateTime<Utc>,
) -> Features {
    let mut state = FeatureState::default();
    for event in events {
        if event.occurred_at() <= as_of {
            state.apply(event);
        }
    }
    state.features(as_of)
}
