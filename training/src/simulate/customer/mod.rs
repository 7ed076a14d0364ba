//! One simulated card holder: a profile drawn once from the customer's own
//! RNG, then a month-by-month state machine (balance, the last statement,
//! arrears) that emits that month's lines in chronological order.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::{Knobs, SimConfig, Truth};

mod calendar;
mod draw;
mod repay;
mod spend;

pub(super) use calendar::month_first;
use calendar::{at, days_in_month, lognormal, pick, rupees, with_day};

/// Monthly finance charge on the revolved part of a statement (3.5 %).
const INTEREST_RATE: f64 = 0.035;
/// Late fee when the minimum due is not paid by the due date (INR 500).
const LATE_FEE_MINOR: i64 = 500_00;
/// Floor of the minimum due (INR 200).
const MIN_DUE_FLOOR_MINOR: i64 = 200_00;
/// Day of the month statements fall due.
const DUE_DAY: u32 = 20;
/// Day of the month the collections system reports days past due.
const DPD_REPORT_DAY: u32 = 25;

/// A variable-spend merchant category: MCC, typical ticket in INR, channels,
/// merchant names.
struct Category {
    mcc: &'static str,
    ticket_inr: f64,
    channels: &'static [&'static str],
    names: &'static [&'static str],
}

const GROCERIES: usize = 0;
const CATEGORIES: [Category; 6] = [
    Category {
        mcc: "5411",
        ticket_inr: 1_100.0,
        channels: &["pos", "contactless", "online"],
        names: &["FreshMart", "BigBasket", "Reliance Smart", "DMart"],
    },
    Category {
        mcc: "5812",
        ticket_inr: 850.0,
        channels: &["pos", "contactless", "online"],
        names: &["Swiggy", "Zomato", "Saravana Bhavan", "Barbeque Nation"],
    },
    Category {
        mcc: "5541",
        ticket_inr: 2_200.0,
        channels: &["pos"],
        names: &["Indian Oil", "HP Petrol", "Bharat Petroleum"],
    },
    Category {
        mcc: "5651",
        ticket_inr: 2_600.0,
        channels: &["pos", "online"],
        names: &["Lifestyle", "Max Fashion", "Myntra"],
    },
    Category {
        mcc: "5999",
        ticket_inr: 1_500.0,
        channels: &["online", "pos"],
        names: &["Amazon", "Flipkart", "Nykaa"],
    },
    Category {
        mcc: "5818",
        ticket_inr: 450.0,
        channels: &["online"],
        names: &["Google Play", "Apple Services", "Steam"],
    },
];

/// The stress signals a stressed customer may show (each independently).
#[derive(Clone, Copy, Debug, Default)]
struct Signals {
    rising_utilisation: bool,
    cash: bool,
    min_only: bool,
    spend_collapse: bool,
    narrowing: bool,
}

/// A stressed customer's plan, in month indices from the first month.
#[derive(Clone, Copy, Debug)]
struct StressPlan {
    start: u32,
    /// Months of signals before the first missed payment (or recovery).
    lead: u32,
    /// First month whose payment is missed (`None`: recovers unharmed).
    miss_from: Option<u32>,
    /// Month the arrears are paid off (`None`: never within the window).
    cure_at: Option<u32>,
    signals: Signals,
}

/// A healthy customer's habit that looks like stress to a naive model.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Persona {
    Ordinary,
    /// Uses most of the limit and pays in full.
    Transactor,
    /// Takes cash at ATMs most months.
    CashHabit,
    /// Pays only the minimum month after month.
    MinPayer,
    /// Pays late often (an irregular income), and catches up every time.
    LatePayer,
}

/// The single stress-like blip of a noisy customer.
#[derive(Clone, Copy, Debug)]
enum Blip {
    CashMonth,
    BigSpend,
    MinOnlyMonth,
}

/// The statement most recently issued.
#[derive(Clone, Copy, Debug)]
struct Statement {
    closing: i64,
    min_due: i64,
    due: NaiveDate,
}

/// How the customer pays the previous statement this month.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pay {
    Full,
    Share(f64),
    Min,
    /// Paid in full, a few days after the due date.
    LateFull,
    /// Nothing this cycle: a healthy customer who will catch up next month.
    Skipped,
    /// The whole statement, next cycle, 12–28 days after the skipped due date.
    CatchUp,
    /// Nothing, or a token amount below the minimum.
    Missed,
    /// Pays all arrears plus this minimum.
    Cure,
}

/// A line before ids and balance checks: its time, a tie-break order, kind.
enum Item {
    Spend {
        amount: i64,
        kind: &'static str,
        mcc: Option<&'static str>,
        name: Option<&'static str>,
        channel: &'static str,
        /// Fees and interest are posted even above the limit.
        forced: bool,
    },
    /// Refund of the purchase at `of` (dropped if that was declined).
    Refund {
        of: DateTime<Utc>,
        amount: i64,
        mcc: &'static str,
        name: &'static str,
    },
    Payment(i64),
    /// A payment attempt that comes back unpaid two days later.
    Bounced(i64),
    Dpd(u32),
}

pub(super) struct CustomerSim {
    id: String,
    index: usize,
    rng: ChaCha8Rng,
    opened_at: DateTime<Utc>,
    start_month: NaiveDate,
    limit: i64,
    salary_day: u32,
    spend_share: f64,
    txn_base: u32,
    full_payer: f64,
    share_lo: f64,
    late_prob: f64,
    weights: [f64; CATEGORIES.len()],
    utility_bill: i64,
    subscription: i64,
    segment: &'static str,
    stress: Option<StressPlan>,
    blip: Option<(Blip, u32)>,
    balance: i64,
    last: Option<Statement>,
    behind: Option<NaiveDate>,
    arrears: i64,
    /// Last month was [`Pay::Skipped`]: this month catches up.
    skipped: bool,
    stress_start: Option<NaiveDate>,
    first_delinquent: Option<NaiveDate>,
    knobs: Knobs,
    persona: Persona,
}

impl CustomerSim {
    pub(super) fn truth(&self) -> Truth {
        Truth {
            customer_id: self.id.clone(),
            segment: self.segment.to_string(),
            stress_start: self.stress_start,
            first_delinquent: self.first_delinquent,
            shows: self.shows(),
        }
    }

    /// The truth's `shows` cell.
    fn shows(&self) -> String {
        if let Some(s) = self.stress {
            let g = s.signals;
            let on: Vec<&str> = [
                (g.rising_utilisation, "rising_utilisation"),
                (g.cash, "cash"),
                (g.min_only, "min_only"),
                (g.spend_collapse, "spend_collapse"),
                (g.narrowing, "narrowing"),
            ]
            .into_iter()
            .filter_map(|(b, n)| b.then_some(n))
            .collect();
            return if on.is_empty() {
                "none".into()
            } else {
                on.join("+")
            };
        }
        if let Some((b, _)) = self.blip {
            return match b {
                Blip::CashMonth => "cash_month",
                Blip::BigSpend => "big_spend",
                Blip::MinOnlyMonth => "min_only_month",
            }
            .into();
        }
        match self.persona {
            Persona::Ordinary => "ordinary",
            Persona::Transactor => "transactor",
            Persona::CashHabit => "cash_habit",
            Persona::MinPayer => "min_payer",
            Persona::LatePayer => "late_payer",
        }
        .into()
    }

    /// Signals active in month `k` (stress months before recovery/default end).
    fn active_signals(&self, k: u32) -> Option<Signals> {
        let s = self.stress?;
        if k < s.start {
            return None;
        }
        match (s.miss_from, s.cure_at) {
            (_, Some(c)) if k >= c => None,
            (Some(_), _) => Some(s.signals),
            // Recovers unharmed after 2–6 months: the same span as the lead.
            (None, None) => (k < s.start + s.lead).then_some(s.signals),
            (None, Some(_)) => None,
        }
    }

    fn blip_in(&self, k: u32, kind: Blip) -> bool {
        matches!(self.blip, Some((b, m)) if m == k && std::mem::discriminant(&b) == std::mem::discriminant(&kind))
    }

    /// Appends month `k`'s lines (and the statement closing it, issued on the
    /// 1st of the next month) to `out`, in chronological order.
    pub(super) fn month(&mut self, k: u32, out: &mut Vec<Value>) {
        let first = month_first(self.start_month, k);
        let days = days_in_month(first);
        let first_day = if k == 0 { self.opened_at.day() } else { 1 };
        let mut items: Vec<(DateTime<Utc>, Item)> = Vec::new();
        if k == 0 {
            out.push(json!({
                "command": "register_customer",
                "customer_id": self.id,
                "name": format!("Simulated Customer {:06}", self.index),
                "phone": format!("+9197{:08}", self.index % 100_000_000),
                "credit_limit_minor": self.limit,
                "currency": "INR",
                "opened_at": self.opened_at,
            }));
        }
        self.repay(k, first, days, &mut items);
        self.spend(k, first, first_day, days, &mut items);
        items.sort_by_key(|(t, _)| *t);
        if self.knobs.late_posting > 0.0 {
            // Some card transactions reach the bank 1–3 days after they
            // happened: the feed is in arrival order, each line keeps its
            // own time.
            let mut arriving = Vec::with_capacity(items.len());
            for (t, item) in items {
                let card = matches!(
                    item,
                    Item::Spend { forced: false, .. } | Item::Refund { .. }
                );
                let late = card && self.rng.gen_bool(self.knobs.late_posting);
                let delay = if late {
                    Duration::hours(self.rng.gen_range(24..=72))
                } else {
                    Duration::zero()
                };
                arriving.push((t + delay, (t, item)));
            }
            arriving.sort_by_key(|(a, _): &(DateTime<Utc>, _)| *a);
            items = arriving.into_iter().map(|(_, x)| x).collect();
        }
        let mut declined = Vec::new();
        let stamp = format!("{}{:02}", first.year(), first.month());
        let mut n = 0;
        for (t, item) in items {
            match item {
                Item::Spend {
                    amount,
                    kind,
                    mcc,
                    name,
                    channel,
                    forced,
                } => {
                    if !forced && self.balance + amount > self.limit {
                        declined.push((t, amount));
                        continue; // declined: over the limit
                    }
                    self.balance += amount;
                    n += 1;
                    let mut line = json!({
                        "command": "record_transaction",
                        "customer_id": self.id,
                        "transaction_id": format!("{}-{stamp}-{n:03}", self.id),
                        "amount_minor": amount,
                        "currency": "INR",
                        "kind": kind,
                        "channel": channel,
                        "occurred_at": t,
                    });
                    if let Some(map) = line.as_object_mut() {
                        if let Some(mcc) = mcc {
                            map.insert("merchant_category_code".into(), mcc.into());
                        }
                        if let Some(name) = name {
                            map.insert("merchant_name".into(), name.into());
                        }
                    }
                    out.push(line);
                }
                Item::Refund {
                    of,
                    amount,
                    mcc,
                    name,
                } => {
                    if declined.contains(&(of, amount)) {
                        continue;
                    }
                    self.balance -= amount;
                    n += 1;
                    out.push(json!({
                        "command": "record_transaction",
                        "customer_id": self.id,
                        "transaction_id": format!("{}-{stamp}-{n:03}", self.id),
                        "amount_minor": amount,
                        "currency": "INR",
                        "kind": "refund",
                        "merchant_category_code": mcc,
                        "merchant_name": name,
                        "channel": "online",
                        "occurred_at": t,
                    }));
                }
                Item::Payment(amount) => {
                    self.balance -= amount;
                    out.push(json!({
                        "command": "record_payment",
                        "customer_id": self.id,
                        "payment_id": format!("{}-P{stamp}", self.id),
                        "amount_minor": amount,
                        "currency": "INR",
                        "paid_at": t,
                    }));
                }
                Item::Bounced(amount) => {
                    let payment_id = format!("{}-B{stamp}", self.id);
                    out.push(json!({
                        "command": "record_payment",
                        "customer_id": self.id,
                        "payment_id": payment_id,
                        "amount_minor": amount,
                        "currency": "INR",
                        "paid_at": t,
                    }));
                    out.push(json!({
                        "command": "return_payment",
                        "customer_id": self.id,
                        "payment_id": payment_id,
                        "reason": "insufficient_funds",
                        "returned_at": t + Duration::days(2),
                    }));
                }
                Item::Dpd(d) => out.push(json!({
                    "command": "report_days_past_due",
                    "customer_id": self.id,
                    "days_past_due": d,
                    "as_of": t,
                })),
            }
        }
        // The statement for this month, issued on the 1st of the next.
        let next = month_first(first, 1);
        let closing = self.balance;
        let min_due = if closing > 0 {
            ((closing as f64 * 0.05).round() as i64)
                .max(MIN_DUE_FLOOR_MINOR)
                .min(closing)
        } else {
            0
        };
        let due = with_day(next, DUE_DAY);
        out.push(json!({
            "command": "issue_statement",
            "customer_id": self.id,
            "period": format!("{}-{:02}", first.year(), first.month()),
            "closing_balance_minor": closing,
            "minimum_due_minor": min_due,
            "due_date": due,
            "issued_at": at(next, 2, 0, 0),
        }));
        self.last = Some(Statement {
            closing,
            min_due,
            due,
        });
    }
}
