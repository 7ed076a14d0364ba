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

/// The portfolio at one moment, as the budget reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        self.is_unlimited() || (counts.messaged_not_delinquent + 1) as f64 <= self.allowed(counts)
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
        }
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
