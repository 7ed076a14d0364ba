//! The portfolio's alert budget: risk alerts may reach at most a set share of
//! the customers who are not delinquent in any year.
//!
//! A High threshold chosen on one portfolio does not carry to another: on
//! portfolios whose scores run hotter it messages two or three times the
//! healthy customers it did where it was chosen (`docs/decision.md`). The
//! budget holds without labels the system does not have yet. It counts the
//! customers messaged in the last 365 days who have not become 30+ days past
//! due — the false alarms so far, or true alarms not yet proven — and an
//! escalation into High that would message one more customer is withheld
//! (recorded, not sent) once that count reaches `share` of the customers who
//! are not delinquent. A customer who becomes delinquent after a message
//! frees their place: a message that came true costs nothing. Over a year
//! the healthy customers messaged therefore stay within `share`, whatever
//! the portfolio's scores look like. The allowance grows over the first
//! `ramp_days` of a portfolio, so its first weeks cannot spend the year.
//!
//! A warning still waiting for its outcome is not yet a false alarm: an
//! early warning comes true months after it is sent, and counting every
//! such message as false spent the budget on the very customers it exists
//! to reach (on our realistic portfolios, 1.5–4 points of the delinquents
//! reached early). So warnings younger than [`MATURITY_DAYS`] count less by
//! the chance that one of their age, not delinquent yet, comes true: a
//! chance the portfolio's own matured warnings measure ([`Outcomes`]), with
//! no labels from outside. Until enough have matured, that chance is 0 and
//! every message counts in full.

use serde::{Deserialize, Serialize};

/// The budget: a share of the customers not delinquent, per year.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertBudget {
    /// Share of the customers not delinquent that may be messaged in a year
    /// without having become delinquent, in (0, 1]; 1 never withholds.
    pub share: f64,
    /// Days from the portfolio's first customer over which the allowance
    /// grows from nothing to the whole share.
    pub ramp_days: f64,
}

/// Days a message counts against the budget.
pub const BUDGET_WINDOW_DAYS: i64 = 365;

/// Days over which the allowance grows, unless configured.
pub const DEFAULT_RAMP_DAYS: f64 = 120.0;

/// Days after which a message's outcome is known for the budget: delinquent
/// by then, it came true; not, it was a false alarm. (150 days, the
/// training label's horizon, left the chance unmeasured through the months
/// the budget binds on a year-old portfolio: `docs/decision.md`.)
pub const MATURITY_DAYS: i64 = 120;

/// Width, in days, of the age classes [`Outcomes`] measures.
pub const AGE_STEP_DAYS: i64 = 30;

/// Age classes of a message younger than [`MATURITY_DAYS`].
pub const AGE_CLASSES: usize = (MATURITY_DAYS / AGE_STEP_DAYS) as usize;

/// Matured messages a class needs before its chance is used (below the
/// interval's lower end keeps a chance measured on few of them low).
pub const MIN_MATURED: u64 = 10;

/// What the portfolio's matured messages (sent at least [`MATURITY_DAYS`]
/// ago, before the customer's delinquency) say about younger ones: for each
/// age class `k` (ages from `k × AGE_STEP_DAYS` days), how many were not
/// delinquent at that age, and how many of those became delinquent before
/// they matured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Matured messages not delinquent at the class's first age.
    pub pending: [u64; AGE_CLASSES],
    /// Of those, the ones delinquent by [`MATURITY_DAYS`].
    pub came_true: [u64; AGE_CLASSES],
}

impl Outcomes {
    /// Counts one matured message whose customer became delinquent
    /// `delinquent_after_days` after it (none: not by maturity).
    pub fn add(&mut self, delinquent_after_days: Option<i64>) {
        self.add_many(delinquent_after_days, 1);
    }

    /// Counts `n` matured messages alike (see [`Outcomes::add`]).
    pub fn add_many(&mut self, delinquent_after_days: Option<i64>, n: u64) {
        for k in 0..AGE_CLASSES {
            let age = k as i64 * AGE_STEP_DAYS;
            match delinquent_after_days {
                Some(d) if d <= age => {}
                Some(d) if d <= MATURITY_DAYS => {
                    self.pending[k] += n;
                    self.came_true[k] += n;
                }
                _ => self.pending[k] += n,
            }
        }
    }

    /// The chance that a message `age_days` old whose customer is not
    /// delinquent yet comes true: measured on its age class (the lower end
    /// of its interval), 0 where fewer than [`MIN_MATURED`] messages
    /// matured, and 0 from maturity on.
    pub fn chance(&self, age_days: i64) -> f64 {
        let k = age_days.max(0) / AGE_STEP_DAYS;
        let Ok(k) = usize::try_from(k) else {
            return 0.0;
        };
        match (self.pending.get(k), self.came_true.get(k)) {
            (Some(&n), Some(&t)) if n >= MIN_MATURED => lower_bound(t, n),
            _ => 0.0,
        }
    }

    /// The messages expected to come true among `young`: per age class,
    /// the customers messaged that long ago and not delinquent yet.
    pub fn expected_true(&self, young: &[u64; AGE_CLASSES]) -> f64 {
        young
            .iter()
            .enumerate()
            .map(|(k, &n)| n as f64 * self.chance(k as i64 * AGE_STEP_DAYS))
            .sum()
    }
}

/// The Wilson score interval's lower end for `t` of `n` (one-sided 84 %,
/// z = 1): a chance measured on few messages is taken low, so a budget that
/// trusts it errs on the side of messaging fewer.
fn lower_bound(t: u64, n: u64) -> f64 {
    const Z2: f64 = 1.0;
    let (t, n) = (t as f64, n as f64);
    let p = t / n;
    let centre = p + Z2 / (2.0 * n);
    let spread = (Z2 * (p * (1.0 - p) / n + Z2 / (4.0 * n * n))).sqrt();
    ((centre - spread) / (1.0 + Z2 / n)).max(0.0)
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// The portfolio at one moment, as the budget reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetCounts {
    /// Customers registered so far.
    pub customers: u64,
    /// Of those, customers who have been 30+ days past due.
    pub delinquent: u64,
    /// Customers messaged by a risk alert in the last 365 days who have not
    /// been 30+ days past due.
    pub messaged_not_delinquent: u64,
    /// Whole seconds since the portfolio's first customer opened.
    pub seconds_open: i64,
    /// Of `messaged_not_delinquent`, how many are expected to come true
    /// ([`Outcomes::expected_true`]); they do not count against the budget.
    /// Absent (0) in counts recorded before it was measured.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expected_to_come_true: f64,
}

impl AlertBudget {
    /// A budget of `share` with the default ramp.
    pub fn of_share(share: f64) -> Self {
        Self {
            share,
            ramp_days: DEFAULT_RAMP_DAYS,
        }
    }

    /// Whether the budget never withholds (a share of 1 or more).
    pub fn is_unlimited(&self) -> bool {
        self.share >= 1.0
    }

    /// How many customers not delinquent may stand messaged at `counts`.
    pub fn allowed(&self, counts: &BudgetCounts) -> f64 {
        let open = counts.customers.saturating_sub(counts.delinquent) as f64;
        let ramp = if self.ramp_days > 0.0 {
            (counts.seconds_open as f64 / (self.ramp_days * 86_400.0)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.share * open * ramp
    }

    /// Whether one more customer may be messaged at `counts`: with them,
    /// the customers messaged and not delinquent stay within the allowance.
    pub fn has_room(&self, counts: &BudgetCounts) -> bool {
        let counted = counts.messaged_not_delinquent as f64 - counts.expected_to_come_true;
        self.is_unlimited() || counted + 1.0 <= self.allowed(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(customers: u64, delinquent: u64, messaged: u64, days: i64) -> BudgetCounts {
        BudgetCounts {
            customers,
            delinquent,
            messaged_not_delinquent: messaged,
            seconds_open: days * 86_400,
            expected_to_come_true: 0.0,
        }
    }

    #[test]
    fn a_message_expected_to_come_true_leaves_room() {
        let b = AlertBudget::of_share(0.10);
        let full = counts(1_100, 100, 100, 400);
        assert!(!b.has_room(&full));
        let expecting = BudgetCounts {
            expected_to_come_true: 1.0,
            ..full
        };
        assert!(b.has_room(&expecting));
    }

    #[test]
    fn matured_messages_measure_the_chance_by_age() {
        let mut o = Outcomes::default();
        // 40 messages came true 20 days after, 40 at 100 days, 120 never
        // and 120 after maturity (false alarms for the budget).
        for _ in 0..40 {
            o.add(Some(20));
            o.add(Some(100));
        }
        for _ in 0..120 {
            o.add(None);
            o.add(Some(MATURITY_DAYS + 1));
        }
        assert_eq!(o.pending, [320, 280, 280, 280]);
        assert_eq!(o.came_true, [80, 40, 40, 40]);
        // At age 0: 80 of 320, taken at the interval's lower end.
        assert_eq!(o.chance(0), lower_bound(80, 320));
        assert!(o.chance(0) < 0.25 && o.chance(0) > 0.22);
        // From 30 days: the 20-day ones are gone, 40 of 280.
        assert_eq!(o.chance(45), lower_bound(40, 280));
        // From maturity on: nothing more comes true.
        assert_eq!(o.chance(MATURITY_DAYS), 0.0);
        assert_eq!(
            o.expected_true(&[4, 0, 7, 0]),
            4.0 * lower_bound(80, 320) + 7.0 * lower_bound(40, 280)
        );
    }

    #[test]
    fn the_lower_end_is_below_the_share_and_nears_it_with_more_messages() {
        assert_eq!(lower_bound(0, 10), 0.0);
        assert!(lower_bound(5, 10) < 0.5);
        assert!(lower_bound(500, 1_000) > lower_bound(5, 10));
        assert!(lower_bound(500, 1_000) < 0.5 && lower_bound(500, 1_000) > 0.48);
    }

    #[test]
    fn too_few_matured_messages_say_nothing() {
        let mut o = Outcomes::default();
        for _ in 0..MIN_MATURED - 1 {
            o.add(Some(10));
        }
        assert_eq!(o.chance(0), 0.0);
        o.add(Some(10));
        assert!(o.chance(0) > 0.0);
    }

    #[test]
    fn the_allowance_is_the_share_of_customers_not_delinquent_once_ramped() {
        let b = AlertBudget::of_share(0.10);
        assert_eq!(b.allowed(&counts(1_100, 100, 0, 400)), 100.0);
        assert!(b.has_room(&counts(1_100, 100, 99, 400)));
        assert!(!b.has_room(&counts(1_100, 100, 100, 400)));
    }

    #[test]
    fn the_allowance_grows_over_the_ramp() {
        let b = AlertBudget::of_share(0.10);
        assert_eq!(b.allowed(&counts(1_000, 0, 0, 0)), 0.0);
        assert_eq!(b.allowed(&counts(1_000, 0, 0, 60)), 50.0);
        assert!(!b.has_room(&counts(1_000, 0, 50, 60)));
        // 50.8 allowed on day 61: not yet room for a 51st.
        assert!(!b.has_room(&counts(1_000, 0, 50, 61)));
        assert!(b.has_room(&counts(1_000, 0, 50, 62)));
    }

    #[test]
    fn a_share_of_one_never_withholds() {
        let b = AlertBudget::of_share(1.0);
        assert!(b.has_room(&counts(10, 0, 1_000, 0)));
    }
}
