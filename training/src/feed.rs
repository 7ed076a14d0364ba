//! Another bank's feed of the same customers: a command log reshaped the way
//! a different bank (or generator) would carry the same behaviour, to measure
//! whether a model and its alert policy hold beyond the portfolios they were
//! chosen on. Every change keeps the money consistent: no amount appears or
//! vanishes, and no purchase moves past another fact of its customer.
//!
//! - `drop_returns` — the feed carries no returned payments: a return and
//!   the payment it returns are both left out (the attempt never reached the
//!   account).
//! - `monthly_dpd` — days past due as a month-end snapshot: of each
//!   customer's reports in a calendar month (UTC), only the last is kept, so
//!   a cure reported as 0 at the end of a month is kept too.
//! - `merge_purchases` — coarser transactions: a customer's purchase is
//!   joined with their next one when nothing else of theirs comes between
//!   and both fall in the same calendar month (UTC); the sum is booked at the
//!   second one's time and merchant, and a reversal naming the first is sent
//!   for the joined one.
//! - `coarse_mcc` — a bank that codes merchants into three categories only
//!   (grocery, restaurants, other retail), chosen by the merchant's name.
//! - `limit_factor` — every credit limit scaled (a bank that grants smaller or
//!   larger lines to the same spenders).
//!
//! Lines that are not JSON objects, and purchases whose amount is not a
//! positive number, are copied unchanged (the importer will refuse them as it
//! would have).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The three merchant category codes a coarse feed uses.
const COARSE_MCCS: [&str; 3] = ["5411", "5812", "5999"];

/// Features a model trained on simulated portfolios does not read: their
/// level is set by how a bank runs and codes its cards, not by how a customer
/// behaves (the merchant mix by how finely merchants are coded and
/// transactions cut, over-limit days by whether cards may run over, the limit
/// by the generator), so a model that learned our generator's levels would
/// carry them to a bank whose feed differs and message more of its healthy
/// customers. The rules still read the merchant mix and over-limit days and
/// reasons name them (never the limit, which is not behaviour); measured in
/// `docs/decision.md` ("Another bank's feed").
pub const FEED_DEPENDENT: &[&str] = &[
    "merchant_mix_index",
    "merchant_mix_change",
    "over_limit_count",
    "credit_limit",
];

/// How to reshape a feed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedShape {
    /// Leave out returned payments and the payments they return.
    pub drop_returns: bool,
    /// Keep only each customer's last days-past-due report of each month.
    pub monthly_dpd: bool,
    /// Join each customer's purchases in pairs within a calendar month.
    pub merge_purchases: bool,
    /// Code merchants into three categories only.
    pub coarse_mcc: bool,
    /// Scale every credit limit by this factor (1 or none leaves them).
    pub limit_factor: Option<f64>,
}

/// What a reshaping did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reshaped {
    /// Lines read.
    pub read: usize,
    /// Lines written.
    pub written: usize,
    /// Returns and returned payments left out.
    pub returns_dropped: usize,
    /// Days-past-due reports left out.
    pub reports_dropped: usize,
    /// Purchases joined into the next one.
    pub purchases_merged: usize,
}

fn command(line: &Map<String, Value>) -> &str {
    line.get("command").and_then(Value::as_str).unwrap_or("")
}

fn text<'a>(line: &'a Map<String, Value>, field: &str) -> &'a str {
    line.get(field).and_then(Value::as_str).unwrap_or("")
}

/// What the reshaping needs to know before it writes the first line.
#[derive(Default)]
struct FirstPass {
    /// The payments the log returns (customer, payment id).
    returned: BTreeSet<(String, String)>,
    /// Each customer's last days-past-due report of each month (UTC).
    last_report: BTreeMap<(String, String), DateTime<Utc>>,
}

fn moment(line: &Map<String, Value>, field: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text(line, field))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn month(t: DateTime<Utc>) -> String {
    t.format("%Y-%m").to_string()
}

fn first_pass(path: &Path, shape: &FeedShape) -> io::Result<FirstPass> {
    let mut seen = FirstPass::default();
    if !shape.drop_returns && !shape.monthly_dpd {
        return Ok(seen);
    }
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        if !line.contains("\"return_payment\"") && !line.contains("\"report_days_past_due\"") {
            continue;
        }
        let Ok(Value::Object(m)) = serde_json::from_str(&line) else {
            continue;
        };
        let customer = text(&m, "customer_id").to_owned();
        match command(&m) {
            "return_payment" => {
                seen.returned
                    .insert((customer, text(&m, "payment_id").to_owned()));
            }
            "report_days_past_due" => {
                if let Some(at) = moment(&m, "as_of") {
                    let last = seen.last_report.entry((customer, month(at))).or_insert(at);
                    *last = (*last).max(at);
                }
            }
            _ => {}
        }
    }
    Ok(seen)
}

fn positive_amount(line: &Map<String, Value>) -> Option<i64> {
    line.get("amount_minor")
        .and_then(Value::as_i64)
        .filter(|a| *a > 0)
}

/// FNV-1a: a fixed hash, so the same merchant gets the same code everywhere.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Writes `input` reshaped by `shape` to `out`.
pub fn reshape(input: &Path, shape: &FeedShape, mut out: impl Write) -> io::Result<Reshaped> {
    let seen = first_pass(input, shape)?;
    let mut done = Reshaped::default();
    // A customer's purchase waiting for their next one to be joined with.
    let mut pending: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    // Purchases joined into a later one: (customer, id) → the later one's id.
    let mut joined: BTreeMap<(String, String), String> = BTreeMap::new();
    let write = |out: &mut dyn Write, m: &Map<String, Value>, done: &mut Reshaped| {
        done.written += 1;
        serde_json::to_writer(&mut *out, m)?;
        out.write_all(b"\n")
    };
    for (number, line) in BufReader::new(File::open(input)?).lines().enumerate() {
        let line = line?;
        done.read += 1;
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(&line) else {
            done.written += 1;
            writeln!(out, "{line}")?;
            continue;
        };
        let customer = text(&m, "customer_id").to_owned();
        let is_purchase = command(&m) == "record_transaction" && text(&m, "kind") == "purchase";
        if !is_purchase {
            // Nothing of the customer's passes a purchase held back.
            if let Some(held) = pending.remove(&customer) {
                write(&mut out, &held, &mut done)?;
            }
        }
        match command(&m) {
            "return_payment" | "record_payment"
                if shape.drop_returns
                    && seen
                        .returned
                        .contains(&(customer.clone(), text(&m, "payment_id").to_owned())) =>
            {
                done.returns_dropped += 1;
                continue;
            }
            "report_days_past_due" if shape.monthly_dpd => {
                let last = moment(&m, "as_of").and_then(|at| {
                    seen.last_report
                        .get(&(customer.clone(), month(at)))
                        .map(|l| *l == at)
                });
                if last == Some(false) {
                    done.reports_dropped += 1;
                    continue;
                }
            }
            "reverse_transaction" => {
                let key = (customer.clone(), text(&m, "transaction_id").to_owned());
                if let Some(into) = joined.get(&key) {
                    m.insert("transaction_id".into(), into.clone().into());
                }
            }
            "register_customer" | "change_credit_limit" => {
                if let (Some(f), Some(limit)) = (
                    shape.limit_factor,
                    m.get("credit_limit_minor").and_then(Value::as_i64),
                ) {
                    let scaled = (limit as f64 * f).round();
                    if !(0.0..=i64::MAX as f64).contains(&scaled) {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "line {}: a limit of {limit} × {f} is out of range",
                                number + 1
                            ),
                        ));
                    }
                    m.insert("credit_limit_minor".into(), (scaled as i64).into());
                }
            }
            _ if is_purchase => {
                if shape.coarse_mcc {
                    // The high half: the low bits of FNV-1a fall into one class mod 3.
                    let k = (fnv(text(&m, "merchant_name")) >> 32) % 3;
                    m.insert(
                        "merchant_category_code".into(),
                        COARSE_MCCS[k as usize].into(),
                    );
                }
                if shape.merge_purchases && positive_amount(&m).is_some() {
                    let Some(first) = pending.remove(&customer) else {
                        pending.insert(customer, m);
                        continue;
                    };
                    let same_month =
                        match (moment(&first, "occurred_at"), moment(&m, "occurred_at")) {
                            (Some(a), Some(b)) => month(a) == month(b),
                            _ => false,
                        };
                    let sum = positive_amount(&first)
                        .zip(positive_amount(&m))
                        .and_then(|(a, b)| a.checked_add(b));
                    match sum {
                        Some(sum) if same_month => {
                            m.insert("amount_minor".into(), sum.into());
                            done.purchases_merged += 1;
                            joined.insert(
                                (customer, text(&first, "transaction_id").to_owned()),
                                text(&m, "transaction_id").to_owned(),
                            );
                        }
                        _ => {
                            write(&mut out, &first, &mut done)?;
                            pending.insert(customer, m);
                            continue;
                        }
                    }
                }
            }
            _ => {}
        }
        write(&mut out, &m, &mut done)?;
    }
    for m in pending.values() {
        write(&mut out, m, &mut done)?;
    }
    out.flush()?;
    Ok(done)
}
