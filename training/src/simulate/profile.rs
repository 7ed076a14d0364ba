//! Generator settings: how hard a portfolio is to read. `easy` is the
//! original simulator, bit for bit; `realistic` and `hard` add the customers
//! that fool a naive model (see the shared notes on real portfolios):
//! transactors who use most of the limit and pay in full, habitual cash
//! users and long-term minimum payers who never default, stress that shows
//! in fewer and weaker signals (or none: surprise defaults), cures, daily
//! days-past-due reports from the collections system, card transactions
//! that arrive one to three days after they happened, delinquents who
//! were late now and then before their stress, and payments that bounce
//! (more often under stress, now and then for anyone).

use std::fmt;
use std::str::FromStr;

/// A named generator setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// The original simulator: strong, multi-signal stress, monthly reports.
    #[default]
    Easy,
    /// Mixed behaviour and weaker signals, as a real portfolio shows.
    Realistic,
    /// Weak or absent signals, more look-alikes, more late postings.
    Hard,
}

/// The knobs a [`Profile`] sets. All zero (or one, for scales) is `easy`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knobs {
    /// Healthy customers who spend 55–95 % of the limit a month and pay in full.
    pub transactors: f64,
    /// Healthy customers who take cash at ATMs most months and never default.
    pub cash_habit: f64,
    /// Healthy customers who pay only the minimum month after month.
    pub min_payers: f64,
    /// Stressed customers whose default comes with no signal at all.
    pub surprise: f64,
    /// Stressed customers show at most this many signals.
    pub max_signals: u32,
    /// Multiplier of stress intensity (rising spend, cash amounts).
    pub intensity: f64,
    /// Share of defaulters who cure their arrears.
    pub cure: f64,
    /// Days past due reported every day while behind (else on the 25th).
    pub daily_dpd: bool,
    /// Share of card transactions that arrive 1–3 days late.
    pub late_posting: f64,
    /// Share of stressed customers with a history of occasional late
    /// payments (5–15 % of months) before their stress: real delinquents
    /// were more often late before.
    pub prior_late: f64,
    /// Chance a month of a stressed customer (signals showing, or behind)
    /// has a payment attempt that bounces (a direct debit returned unpaid).
    pub bounced: f64,
    /// The same chance for everyone else (a one-off bounce, paid anyway).
    pub bounce_noise: f64,
    /// Share of a customer's late months that are a whole cycle late: the
    /// payment skipped and the statement paid next month, 12–28 days past
    /// due, never 30. With it, a late month within the cycle is 1–8 days
    /// late (6–8 without). Being late and catching up is common among
    /// customers who never default; a model that reads any lateness beyond
    /// a week as delinquency messages them all.
    pub late_cycle: f64,
    /// Healthy customers who pay late in 10–30 % of months (an irregular
    /// income) and always catch up.
    pub late_payers: f64,
}

impl Profile {
    /// Every profile, easiest first.
    pub const ALL: [Profile; 3] = [Profile::Easy, Profile::Realistic, Profile::Hard];

    /// The knobs of this profile.
    pub fn knobs(self) -> Knobs {
        match self {
            Profile::Easy => Knobs {
                transactors: 0.0,
                cash_habit: 0.0,
                min_payers: 0.0,
                surprise: 0.0,
                max_signals: 5,
                intensity: 1.0,
                cure: 0.2,
                daily_dpd: false,
                late_posting: 0.0,
                prior_late: 0.0,
                bounced: 0.0,
                bounce_noise: 0.0,
                late_cycle: 0.0,
                late_payers: 0.0,
            },
            Profile::Realistic => Knobs {
                transactors: 0.10,
                cash_habit: 0.04,
                min_payers: 0.08,
                surprise: 0.15,
                max_signals: 3,
                intensity: 0.7,
                cure: 0.3,
                daily_dpd: true,
                late_posting: 0.05,
                prior_late: 0.4,
                bounced: 0.2,
                bounce_noise: 0.01,
                late_cycle: 0.35,
                late_payers: 0.05,
            },
            Profile::Hard => Knobs {
                transactors: 0.15,
                cash_habit: 0.07,
                min_payers: 0.12,
                surprise: 0.30,
                max_signals: 1,
                intensity: 0.5,
                cure: 0.35,
                daily_dpd: true,
                late_posting: 0.12,
                prior_late: 0.3,
                bounced: 0.1,
                bounce_noise: 0.015,
                late_cycle: 0.5,
                late_payers: 0.08,
            },
        }
    }

    /// The profile's name: `easy`, `realistic` or `hard`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Easy => "easy",
            Profile::Realistic => "realistic",
            Profile::Hard => "hard",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("{s:?} is not a profile (easy, realistic, hard)"))
    }
}
