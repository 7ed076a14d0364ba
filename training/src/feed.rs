//! Another bank's feed of the same customers: a command log reshaped the way
//! a different bank (or generator) would carry the same behaviour, to measure
//! whether a model and its alert policy hold beyond the portfolios they were
//! chosen on. Every change keeps the money consistent (balances, statements
//! and payments still agree); only how the facts are cut and coded changes.
//!
//! - `drop_returns` — the feed carries no returned payments: a return and
//!   the payment it returns are both left out (the attempt never reached the
//!   account).
//! - `monthly_dpd` — days past due as a month-end snapshot: only reports made
//!   on the first day of a calendar month are kept.
//! - `merge_purchases` — coarser transactions: each customer's purchases are
//!   joined in pairs within a calendar month (the amounts summed, at the
//!   second one's time and merchant).
//! - `coarse_mcc` — a bank that codes merchants into three categories only
//!   (grocery, restaurants, other retail), chosen by the merchant's name.
//! - `limit_factor` — every credit limit scaled (a bank that grants smaller or
//!   larger lines to the same spenders).
//!
//! Lines that are not JSON objects are copied unchanged (the importer will
//! refuse them as it would have).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use serde_json::{Map, Value};

/// The three merchant category codes a coarse feed uses.
const COARSE_MCCS: [&str; 3] = ["5411", "5812", "5999"];

/// How to reshape a feed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedShape {
    /// Leave out returned payments and the payments they return.
    pub drop_returns: bool,
    /// Keep only days-past-due reports made on the first day of a month.
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

/// The payments a log returns (customer, payment id), for `drop_returns`.
fn returned_payments(path: &Path) -> io::Result<BTreeSet<(String, String)>> {
    let mut returned = BTreeSet::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        if !line.contains("\"return_payment\"") {
            continue;
        }
        if let Ok(Value::Object(m)) = serde_json::from_str(&line) {
            if command(&m) == "return_payment" {
                returned.insert((
                    text(&m, "customer_id").to_owned(),
                    text(&m, "payment_id").to_owned(),
                ));
            }
        }
    }
    Ok(returned)
}

/// FNV-1a: a fixed hash, so the same merchant gets the same code everywhere.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Writes `input` reshaped by `shape` to `out`.
pub fn reshape(input: &Path, shape: &FeedShape, mut out: impl Write) -> io::Result<Reshaped> {
    let returned = if shape.drop_returns {
        returned_payments(input)?
    } else {
        BTreeSet::new()
    };
    let mut done = Reshaped::default();
    // A customer's purchase waiting for the next one to be joined with.
    let mut pending: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let write = |out: &mut dyn Write, m: &Map<String, Value>, done: &mut Reshaped| {
        done.written += 1;
        serde_json::to_writer(&mut *out, m)?;
        out.write_all(b"\n")
    };
    for line in BufReader::new(File::open(input)?).lines() {
        let line = line?;
        done.read += 1;
        let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(&line) else {
            done.written += 1;
            writeln!(out, "{line}")?;
            continue;
        };
        let customer = text(&m, "customer_id").to_owned();
        match command(&m) {
            "return_payment" | "record_payment"
                if shape.drop_returns
                    && returned
                        .contains(&(customer.clone(), text(&m, "payment_id").to_owned())) =>
            {
                done.returns_dropped += 1;
                continue;
            }
            "report_days_past_due"
                if shape.monthly_dpd && text(&m, "as_of").get(8..10) != Some("01") =>
            {
                done.reports_dropped += 1;
                continue;
            }
            "register_customer" | "change_credit_limit" => {
                if let (Some(f), Some(limit)) = (
                    shape.limit_factor,
                    m.get("credit_limit_minor").and_then(Value::as_i64),
                ) {
                    let scaled = (limit as f64 * f).round() as i64;
                    m.insert("credit_limit_minor".into(), scaled.into());
                }
            }
            "record_transaction" if text(&m, "kind") == "purchase" => {
                if shape.coarse_mcc {
                    let k = fnv(text(&m, "merchant_name")) % 3;
                    m.insert(
                        "merchant_category_code".into(),
                        COARSE_MCCS[k as usize].into(),
                    );
                }
                if shape.merge_purchases {
                    match pending.remove(&customer) {
                        None => {
                            pending.insert(customer, m);
                            continue;
                        }
                        Some(first) => {
                            let month = |x: &Map<String, Value>| {
                                text(x, "occurred_at").get(..7).map(str::to_owned)
                            };
                            let amount = |x: &Map<String, Value>| {
                                x.get("amount_minor").and_then(Value::as_i64).unwrap_or(0)
                            };
                            if month(&first) == month(&m) {
                                let sum = amount(&first) + amount(&m);
                                m.insert("amount_minor".into(), sum.into());
                                done.purchases_merged += 1;
                            } else {
                                write(&mut out, &first, &mut done)?;
                            }
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
