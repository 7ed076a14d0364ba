//! Balance, spend and merchant-mix features, read from the daily buckets of a
//! [`FeatureState`]. Sums are integer minor units (`i128`), turned into `f64`
//! only for the final ratio.

use chrono::{DateTime, Utc};

use super::mcc::GROUP_COUNT;
use super::state::{day_of, FeatureState};
use super::stats::{bounded, coefficient_of_variation, normalised_entropy};

/// Sums of the daily buckets over a span of days.
#[derive(Default)]
struct Window {
    purchases: i128,
    cash: i128,
    refunds: i128,
    purchase_count: u64,
    reversed_purchases: u64,
    by_group: [i128; GROUP_COUNT],
}

impl Window {
    /// The buckets of days `(last_day − days, last_day]`.
    fn of(state: &FeatureState, last_day: i64, days: i64) -> Self {
        let mut w = Self::default();
        for (_, b) in state.days.range(last_day - days + 1..=last_day) {
            w.purchases += i128::from(b.purchases);
            w.cash += i128::from(b.cash);
            w.refunds += i128::from(b.refunds);
            w.purchase_count += u64::from(b.purchase_count);
            w.reversed_purchases += u64::from(b.reversed_purchases);
            for (sum, amount) in w.by_group.iter_mut().zip(b.by_group) {
                *sum += i128::from(amount);
            }
        }
        w
    }

    /// Purchases + cash withdrawals − refunds, floored at 0.
    fn spend(&self) -> i128 {
        (self.purchases + self.cash - self.refunds).max(0)
    }

    /// Purchases less those reversed in full (a reversal may fall in a
    /// later window than its purchase, so this is floored at 0).
    fn purchases_made(&self) -> u64 {
        self.purchase_count.saturating_sub(self.reversed_purchases)
    }

    /// Normalised entropy of purchases across merchant groups (a group
    /// whose reversals outweigh its purchases in the window counts as none:
    /// the entropy leaves non-positive sums out); 0 with fewer than 2
    /// purchases.
    fn mix(&self) -> f64 {
        if self.purchases_made() < 2 {
            return 0.0;
        }
        normalised_entropy(&self.by_group)
    }
}

/// The last 30 days up to `as_of` and the 90 days before them.
fn recent_and_baseline(state: &FeatureState, as_of: DateTime<Utc>) -> (Window, Window) {
    let d = day_of(as_of);
    (Window::of(state, d, 30), Window::of(state, d - 30, 90))
}

/// The balance at the end of UTC day `day`: the running balance less what
/// moved on later days (a later event on `day` itself still counts).
fn balance_at_end_of(state: &FeatureState, day: i64) -> i128 {
    let later: i128 = state
        .days
        .range(day + 1..)
        .map(|(_, b)| i128::from(b.net))
        .sum();
    i128::from(state.balance) - later
}

/// See [`super::Features::utilisation`].
pub(super) fn utilisation(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    ratio_to_limit(
        balance_at_end_of(state, day_of(as_of)),
        state.limit_at(as_of),
    )
}

/// A balance ÷ a credit limit, in [0, 1.5]: 0 in credit, 1.5 over a zero limit.
fn ratio_to_limit(balance: i128, limit: i64) -> f64 {
    if balance <= 0 {
        return 0.0;
    }
    if limit <= 0 {
        return 1.5;
    }
    bounded(balance as f64 / limit as f64, 0.0, 1.5)
}

/// Earlier days [`utilisation_trend`] needs before it says anything.
const TREND_MIN_BASELINE_DAYS: i64 = 30;

/// See [`super::Features::utilisation_trend`].
pub(super) fn utilisation_trend(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let Some(first_at) = state.first_at.filter(|f| *f <= as_of) else {
        return 0.0;
    };
    let d = day_of(as_of);
    let first_day = day_of(first_at).max(d - 119);
    if d - 30 - first_day + 1 < TREND_MIN_BASELINE_DAYS {
        return 0.0;
    }
    // The balance at the end of as_of's day, as `utilisation` reads it; then
    // one day back at a time by taking out each day's net movement.
    let mut balance = balance_at_end_of(state, d);
    let mut buckets = state.days.range(first_day..=d).rev().peekable();
    let (mut recent, mut baseline) = (0.0, 0.0);
    for day in (first_day..=d).rev() {
        let limit = if day == d {
            state.limit_at(as_of)
        } else {
            DateTime::from_timestamp((day + 1) * 86_400 - 1, 0).map_or(0, |t| state.limit_at(t))
        };
        let u = ratio_to_limit(balance, limit);
        if day > d - 30 {
            recent += u;
        } else {
            baseline += u;
        }
        if let Some((_, b)) = buckets.next_if(|(k, _)| **k == day) {
            balance -= i128::from(b.net);
        }
    }
    let baseline_days = (d - 30 - first_day + 1) as f64;
    bounded(recent / 30.0 - baseline / baseline_days, -1.5, 1.5)
}

/// See [`super::Features::credit_limit`].
pub(super) fn credit_limit(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    state.limit_at(as_of) as f64 / 100.0
}

/// See [`super::Features::over_limit_count`].
pub(super) fn over_limit_count(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let first_day = day_of(as_of) - 365;
    // A mark is the end of its day (00:00 of the next): counted once the
    // day has ended, for the 365 days up to as_of.
    let days = state
        .over_limit
        .iter()
        .filter(|t| **t <= as_of && day_of(**t) - 1 > first_day)
        .count();
    days as f64
}

/// See [`super::Features::cash_withdrawal_share`].
pub(super) fn cash_withdrawal_share(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let w = Window::of(state, day_of(as_of), 30);
    let (purchases, cash) = (w.purchases.max(0), w.cash.max(0));
    let spend = purchases + cash;
    if spend <= 0 {
        return 0.0;
    }
    bounded(cash as f64 / spend as f64, 0.0, 1.0)
}

/// See [`super::Features::spend_change_pct`].
pub(super) fn spend_change_pct(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let (recent, baseline) = recent_and_baseline(state, as_of);
    let prior = baseline.spend();
    if prior == 0 {
        return 0.0;
    }
    // (recent − prior/3) ÷ (prior/3), kept in integers until the division.
    let change = 3 * recent.spend() - prior;
    bounded(change as f64 / prior as f64, -1.0, 5.0)
}

/// See [`super::Features::merchant_mix_index`].
pub(super) fn merchant_mix_index(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    Window::of(state, day_of(as_of), 30).mix()
}

/// See [`super::Features::merchant_mix_change`].
pub(super) fn merchant_mix_change(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let (recent, baseline) = recent_and_baseline(state, as_of);
    if baseline.purchases_made() == 0 {
        return 0.0;
    }
    bounded(recent.mix() - baseline.mix(), -1.0, 1.0)
}

/// See [`super::Features::spend_volatility`].
pub(super) fn spend_volatility(state: &FeatureState, as_of: DateTime<Utc>) -> f64 {
    let Some(first_at) = state.first_at.filter(|f| *f <= as_of) else {
        return 0.0;
    };
    let first_day = day_of(first_at);
    let d = day_of(as_of);
    let spends: Vec<f64> = (0..6)
        .map(|k| d - 30 * k)
        .take_while(|last| last - 29 >= first_day)
        .map(|last| Window::of(state, last, 30).spend() as f64)
        .collect();
    coefficient_of_variation(&spends)
}
