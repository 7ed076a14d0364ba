//! Statement, payment and days-past-due features, read from the statements
//! and reports kept by a [`FeatureState`].
//!
//! A statement is *due* by as_of once its due date has ended; its payments
//! are those folded between its issue and the end of its due date, which is
//! at or before as_of, so no payment after as_of can be counted.

use chrono::{DateTime, Utc};

use super::state::{day_of, FeatureState, StatementRecord};
use super::stats::{bounded, coefficient_of_variation};

/// Due statements that [`consecutive_min_only`] looks back over at most.
const MAX_RUN: usize = 12;

/// Statements due by `as_of`, most recent first.
fn due(state: &FeatureState, as_of: DateTime<Utc>) -> impl Iterator<Item = &StatementRecord> {
    state
        .statements
        .iter()
        .rev()
        .filter(move |s| s.issued_at <= as_of && s.due_end <= as_of)
}

/// Paid in the cycle (less what came back by as_of) ÷ closing balance, in
/// [0, 1]; 1 when nothing was owed.
fn ratio(s: &StatementRecord, as_of: DateTime<Utc>) -> f64 {
    if s.closing <= 0 {
        return 1.0;
    }
    bounded(s.paid_by(as_of) as f64 / s.closing as f64, 0.0, 1.0)
}

/// A positive minimum was due and at most 1.1 × it was paid.
fn min_only(s: &StatementRecord, as_of: DateTime<Utc>) -> bool {
    s.minimum > 0 && i128::from(s.paid_by(as_of)) * 10 <= i128::from(s.minimum) * 11
}

/// See [`super::Features::payment_ratio`].
pub(super) fn payment_ratio(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    due(state, as_of).next().map_or(1.0, |s| ratio(s, as_of))
}

/// See [`super::Features::min_due_frequency`].
pub(super) fn min_due_frequency(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let (mut owed, mut minimum_only) = (0_u32, 0_u32);
    for s in due(state, as_of).take(6).filter(|s| s.minimum > 0) {
        owed += 1;
        minimum_only += u32::from(min_only(s, as_of));
    }
    if owed == 0 {
        return 0.0;
    }
    f64::from(minimum_only) / f64::from(owed)
}

/// See [`super::Features::consecutive_min_only`].
pub(super) fn consecutive_min_only(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    due(state, as_of)
        .take(MAX_RUN)
        .take_while(|s| min_only(s, as_of))
        .count() as f64
}

/// Payment ratios of the last 6 due statements, most recent first.
fn last_six_ratios(state: &FeatureState, as_of: DateTime<Utc>) -> Vec<f64> {
    due(state, as_of).take(6).map(|s| ratio(s, as_of)).collect()
}

/// See [`super::Features::payment_stability`].
pub(super) fn payment_stability(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    coefficient_of_variation(&last_six_ratios(state, as_of))
}

/// See [`super::Features::payment_ratio_change`].
pub(super) fn payment_ratio_change(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let ratios = last_six_ratios(state, as_of);
    if ratios.len() < 3 {
        return 0.0;
    }
    let recent = (ratios[0] + ratios[1]) / 2.0;
    let earlier = ratios[2..].iter().sum::<f64>() / (ratios.len() - 2) as f64;
    bounded(recent - earlier, -1.0, 1.0)
}

/// See [`super::Features::days_past_due`].
pub(super) fn days_past_due(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let n = state.dpd.partition_point(|r| r.at <= as_of);
    n.checked_sub(1)
        .map_or(0.0, |i| f64::from(state.dpd[i].days))
}

/// See [`super::Features::max_days_past_due_6m`].
pub(super) fn max_days_past_due_6m(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let first_day = day_of(as_of) - 180;
    let max = state
        .dpd
        .iter()
        .filter(|r| r.at <= as_of && day_of(r.at) > first_day)
        .map(|r| r.days)
        .max()
        .unwrap_or(0);
    f64::from(max)
}

/// See [`super::Features::late_months_6m`].
pub(super) fn late_months_6m(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    due(state, as_of)
        .take(6)
        .filter(|s| s.late_at.is_some_and(|t| t <= as_of))
        .count() as f64
}

/// See [`super::Features::returned_payments_90d`].
pub(super) fn returned_payments_90d(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let first_day = day_of(as_of) - 90;
    state
        .returns
        .iter()
        .filter(|r| r.at <= as_of && day_of(r.at) > first_day)
        .count() as f64
}
