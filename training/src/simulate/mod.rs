//! A deterministic portfolio simulator: synthetic card holders as the flat
//! NDJSON commands the importer reads (`command`, `customer_id` and the
//! command's fields, see `api::wire`), with the ground truth of who was
//! stressed and when they became delinquent.
//!
//! Pure library: no clock, no I/O beyond the writer handed in, and no
//! randomness that was not seeded. Each customer has its own
//! `ChaCha8Rng::seed_from_u64(seed)` on stream `index` (ChaCha is specified
//! bit-for-bit, unlike `StdRng`), and the floating-point draws use `libm`, so
//! the same [`SimConfig`] gives the same bytes on every machine and a
//! customer's lines do not depend on how many others are generated or in
//! which order. Lines are streamed month by month across customers (each
//! customer's own lines are chronological).
//!
//! # What is simulated
//! - **Accounts.** `SIM-{index:06}`, phone `+9197{index:08}`, currency INR,
//!   amounts in paise, opened at `start` 00:00 UTC. Credit limit log-normal
//!   around INR 1,50,000 (σ 0.5 in log space, clamped to INR 25,000–10,00,000,
//!   in steps of INR 5,000). Each customer has a salary day (1st, 5th, 7th,
//!   10th, 15th or 28th), a spending level of 12–40 % of the limit a month,
//!   a personal merchant mix and a habit of paying in full (55–98 % of
//!   months; a fifth are revolvers who pay in full in at most 30 % of months
//!   and otherwise 15–95 % of the balance).
//! - **Monthly spend.** Level × log-normal noise (σ 0.18) × seasonality
//!   (Jan–Feb −8 %, Oct +25 %, Nov +35 % for Diwali, Dec +20 %), spread over
//!   8–38 purchases (more when spending more) across groceries 5411,
//!   restaurants 5812, fuel 5541, retail 5651/5999 and digital 5818, at
//!   08:00–22:59 UTC, 35 % of them in the ten days after salary day. Recurring
//!   bills: electricity (utilities 4900) and a streaming subscription (5818).
//!   Occasional refunds of retail purchases (3 %), travel months (7 % of
//!   months: a flight 4511 and a hotel 7011) and one-off large purchases
//!   (4 %: electronics 5732, 8–25 % of the limit) and an occasional ATM
//!   cash withdrawal (1.5 % of months). Purchases that would take
//!   the balance over the limit are declined (not emitted); fees and interest
//!   are posted regardless, so arrears can go over the limit.
//! - **Statements.** Issued on the 1st of the next month at 02:00 UTC for the
//!   month: closing balance = running balance, minimum due = max(5 %,
//!   INR 200) capped at the balance (0 when in credit), due on the 20th.
//! - **Payments.** One payment id a month (`{customer}-P{yyyymm}`), on a day
//!   between salary day and the due date. Healthy customers pay in full or
//!   40–95 % of the balance; some (40 %) are occasionally (1–5 % of months)
//!   late: paid in full on the 26th–28th after a days-past-due report of 5 on
//!   the 25th, then a report of 0. Unpaid balances are charged 3.5 % interest
//!   on the last day of the month; a missed minimum costs a INR 500 late fee
//!   on the 21st.
//! - **Stress** (`stressed_share` of customers). Starts on the 1st of a month
//!   early enough (month 1 to `months − 8`) that its outcome falls inside the
//!   window. For 2–6 months the customer shows a random non-empty subset of:
//!   rising utilisation (spend ×1.35 and growing, paying 12–35 % of the
//!   balance), ATM cash withdrawals (1–3 a month, 4–12 % of the limit each),
//!   minimum-only payments, spend collapse (×0.35; never with rising
//!   utilisation), merchant mix narrowing to groceries and utilities. Then
//!   82 % stop paying (sometimes a token amount below the minimum): days past
//!   due are reported on the 25th of every month while behind (5, 35, 66,
//!   96 …, counted from the oldest unpaid due date); 20 % of those pay off
//!   their arrears 2–4 months later (report of 0) and go back to minimum or
//!   partial payments. The other 18 % recover without missing a payment.
//!   Stress needs at least 3 months; shorter runs have no stressed customers.
//! - **Noise** (5 % of the others, `noisy`). One stress-like month without
//!   ever becoming delinquent: a cash withdrawal, a large purchase of 35–60 %
//!   of the limit, or a minimum-only payment.
//!
//! [`Truth::first_delinquent`] is the first day the account was 30 or more
//! days past due (the oldest unpaid due date + 30), set when a report of
//! 30+ days falls inside the window.
//!
//! # Generator settings
//! [`Profile`] `easy` is everything above, bit for bit. `realistic` and
//! `hard` add healthy look-alikes (transactors at 55–95 % of the limit who
//! pay in full, habitual cash users, long-term minimum payers), stress with
//! fewer and weaker signals and surprise defaults with none, more cures,
//! days past due reported daily while behind, and card transactions that
//! arrive one to three days after they happened (see `profile`).
//!
//! # Layout
//! - `customer` — one customer's profile and monthly state machine.
//! - `profile` — the generator settings.
//! - `tests` — determinism, validity through the domain aggregate, shares,
//!   outcomes and feature separation.

mod customer;
mod profile;
#[cfg(test)]
mod tests;

pub use profile::{Knobs, Profile};

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use customer::CustomerSim;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// How many customers.
    pub customers: usize,
    /// How many calendar months, starting with `start`'s month.
    pub months: u32,
    /// The seed; the same config always gives the same output.
    pub seed: u64,
    /// When the accounts open (00:00 UTC); months are calendar months.
    pub start: NaiveDate,
    /// Share of customers who go through financial stress, in [0, 1].
    pub stressed_share: f64,
    /// How hard the portfolio is to read (`easy` is the original simulator).
    pub profile: Profile,
    /// Index of the first customer (ids, phones and random streams follow
    /// the index), so portfolios of several settings can be combined.
    pub first_index: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            customers: 1_000,
            months: 12,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            stressed_share: 0.12,
            profile: Profile::Easy,
            first_index: 0,
        }
    }
}

/// The ground truth about one simulated customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Truth {
    /// The customer id (`SIM-000042`).
    pub customer_id: String,
    /// `healthy`, `stressed` or `noisy`.
    pub segment: String,
    /// The 1st of the month stress began (stressed customers only).
    pub stress_start: Option<NaiveDate>,
    /// The first day 30+ days past due, when that was reported in the window.
    pub first_delinquent: Option<NaiveDate>,
    /// What the customer shows: a stressed customer's signals joined by `+`
    /// (`none` for a surprise default), a healthy customer's habit
    /// (`ordinary`, `transactor`, `cash_habit`, `min_payer`, `late_payer`), a noisy
    /// customer's blip.
    pub shows: String,
}

/// Generates the portfolio, handing each NDJSON line (a flat command object)
/// to `on_line` in a valid order: month by month, customer by customer within
/// a month, each customer's lines chronological. Stops at the first error of
/// `on_line`. Returns the truth of every customer, in index order.
pub fn simulate<E>(
    cfg: &SimConfig,
    mut on_line: impl FnMut(&Value) -> Result<(), E>,
) -> Result<Vec<Truth>, E> {
    let mut sims: Vec<CustomerSim> = (0..cfg.customers)
        .map(|i| CustomerSim::new(cfg, cfg.first_index + i))
        .collect();
    let mut buf = Vec::new();
    for k in 0..cfg.months {
        for sim in &mut sims {
            buf.clear();
            sim.month(k, &mut buf);
            for line in &buf {
                on_line(line)?;
            }
        }
    }
    Ok(sims.iter().map(CustomerSim::truth).collect())
}

/// [`simulate`] written as NDJSON (one compact JSON object a line) to `out`,
/// buffered. Returns the truths.
pub fn write_ndjson(cfg: &SimConfig, out: impl Write) -> io::Result<Vec<Truth>> {
    let mut w = io::BufWriter::new(out);
    let truths = simulate(cfg, |line| {
        serde_json::to_writer(&mut w, line)?;
        w.write_all(b"\n")
    })?;
    w.flush()?;
    Ok(truths)
}

/// Writes the truths as CSV:
/// `customer_id,segment,stress_start,first_delinquent,shows` with empty
/// cells for absent dates.
pub fn write_truth_csv(truths: &[Truth], out: impl Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    writeln!(w, "customer_id,segment,stress_start,first_delinquent,shows")?;
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for t in truths {
        writeln!(
            w,
            "{},{},{},{},{}",
            t.customer_id,
            t.segment,
            date(t.stress_start),
            date(t.first_delinquent),
            t.shows
        )?;
    }
    w.flush()
}
