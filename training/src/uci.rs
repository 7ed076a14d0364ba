//! The UCI "Default of Credit Card Clients" data (Yeh & Lien 2009) as event
//! histories, so the model is trained on exactly the features production
//! computes from events.
//!
//! # Mapping (documented once, used everywhere)
//! Month `m` runs April (`k = 6`) to September (`k = 1`) 2005; `BILL_AMTk`,
//! `PAY_AMTk` and the repayment status (`PAY_6` … `PAY_2`, `PAY_0`) belong to
//! month `m`. Amounts are NT dollars, recorded ×100 in minor units of `TWD`.
//! - 2005-03-01 00:00 UTC: `CustomerRegistered` with the credit limit
//!   `LIMIT_BAL`, id `uci-{ID}`, phone `+8869` followed by the ID on 8 digits.
//! - the 10th of `m`: one purchase (MCC 5999, channel pos) of
//!   `BILL_AMT(m) − BILL_AMT(m−1) + PAY_AMT(m)` when positive (the bill before
//!   April counts as 0), so the running balance follows the bills.
//! - the 15th of `m`: `PaymentRecorded` of `PAY_AMT(m)` when positive. The data
//!   says this payment settles the previous month's bill: the statement of
//!   period `m−1` is issued on the 1st of `m` and due on the 21st of `m`, so
//!   the payment falls inside that statement's payment window.
//! - the 25th of `m`: `DaysPastDueReported` of 30 × status when the status is
//!   ≥ 1, else 0 (still reported, so the latest value is known).
//! - the 1st of `m+1`, 00:00 UTC: `StatementIssued` for period `m`, closing
//!   balance `BILL_AMT(m)`, minimum due 5 % of it rounded, clamped to
//!   `[0, max(balance, 0)]`, due on the 21st of `m+1`.
//!
//! Features are taken as of [`as_of`] = 2005-10-01 00:00 UTC. Demographics
//! (`SEX`, `EDUCATION`, `MARRIAGE`, `AGE`) are parsed but never turned into
//! events; the default flag is the label, never a feature.

use std::io::Read;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::customer::{
    CustomerEvent, CustomerRegistered, DaysPastDueReported, PaymentRecorded, StatementIssued,
    TransactionRecorded,
};
use domain::values::{
    Channel, Currency, CustomerId, CustomerName, ExternalId, MerchantCategoryCode, PhoneNumber,
    StatementPeriod, TransactionKind,
};

use crate::TrainingError;

/// Months covered by the data, April to September 2005.
const MONTHS: [u32; 6] = [4, 5, 6, 7, 8, 9];
const YEAR: i32 = 2005;

/// One row of the UCI file. Monthly arrays are in calendar order:
/// index 0 is April 2005, index 5 is September 2005.
#[derive(Clone, Debug, PartialEq)]
pub struct UciClient {
    /// The `ID` column.
    pub id: u32,
    /// Credit limit in NT dollars (`LIMIT_BAL`).
    pub limit: f64,
    /// `SEX` (parsed, never used for scoring).
    pub sex: i32,
    /// `EDUCATION` (parsed, never used for scoring).
    pub education: i32,
    /// `MARRIAGE` (parsed, never used for scoring).
    pub marriage: i32,
    /// `AGE` (parsed, never used for scoring).
    pub age: i32,
    /// Repayment status April … September (`PAY_6` … `PAY_0`).
    pub status: [i32; 6],
    /// Statement balance April … September (`BILL_AMT6` … `BILL_AMT1`).
    pub bill: [f64; 6],
    /// Amount paid April … September (`PAY_AMT6` … `PAY_AMT1`).
    pub paid: [f64; 6],
    /// Whether the client defaulted in October 2005 (the label).
    pub default: bool,
}

/// The moment features are computed: 2005-10-01 00:00 UTC.
pub fn as_of() -> DateTime<Utc> {
    at(YEAR, 10, 1)
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("fixed calendar dates of 2005 exist")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("fixed calendar dates of 2005 exist")
}

/// Reads the UCI CSV layout (header row with `ID`, `LIMIT_BAL`, `SEX`,
/// `EDUCATION`, `MARRIAGE`, `AGE`, `PAY_0`, `PAY_2`…`PAY_6`,
/// `BILL_AMT1`…`BILL_AMT6`, `PAY_AMT1`…`PAY_AMT6`,
/// `default.payment.next.month`; columns found by name).
pub fn read_uci(reader: impl Read) -> Result<Vec<UciClient>, TrainingError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| TrainingError::Csv(e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| TrainingError::Csv(format!("missing column {name}")))
    };
    // Calendar order April … September.
    let status_cols = ["PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0"].map(col);
    let bill_cols = (1..=6).rev().map(|k| col(&format!("BILL_AMT{k}")));
    let paid_cols = (1..=6).rev().map(|k| col(&format!("PAY_AMT{k}")));
    let (id, limit, sex, education, marriage, age, label) = (
        col("ID")?,
        col("LIMIT_BAL")?,
        col("SEX")?,
        col("EDUCATION")?,
        col("MARRIAGE")?,
        col("AGE")?,
        col("default.payment.next.month")?,
    );
    let mut status = [0usize; 6];
    let mut bill = [0usize; 6];
    let mut paid = [0usize; 6];
    for (i, ((s, b), p)) in status_cols
        .into_iter()
        .zip(bill_cols)
        .zip(paid_cols)
        .enumerate()
    {
        (status[i], bill[i], paid[i]) = (s?, b?, p?);
    }
    let mut clients = Vec::new();
    for (row, record) in csv.records().enumerate() {
        let record = record.map_err(|e| TrainingError::Csv(e.to_string()))?;
        let line = row + 2;
        let num = |c: usize| -> Result<f64, TrainingError> {
            let text = record.get(c).unwrap_or("");
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| TrainingError::Csv(format!("line {line}: bad number {text:?}")))
        };
        let int = |c: usize| num(c).map(|v| v as i32);
        let id_value = num(id)?;
        if !(1.0..=99_999_999.0).contains(&id_value) || id_value.fract() != 0.0 {
            return Err(TrainingError::Csv(format!(
                "line {line}: bad ID {id_value}"
            )));
        }
        let mut client = UciClient {
            id: id_value as u32,
            limit: num(limit)?,
            sex: int(sex)?,
            education: int(education)?,
            marriage: int(marriage)?,
            age: int(age)?,
            status: [0; 6],
            bill: [0.0; 6],
            paid: [0.0; 6],
            default: num(label)? >= 0.5,
        };
        for i in 0..6 {
            client.status[i] = int(status[i])?;
            client.bill[i] = num(bill[i])?;
            client.paid[i] = num(paid[i])?;
        }
        clients.push(client);
    }
    Ok(clients)
}

/// NT dollars to minor units (×100, rounded).
fn minor(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

fn parsed<T>(what: &str, r: Result<T, String>) -> Result<T, TrainingError> {
    r.map_err(|e| TrainingError::Data(format!("{what}: {e}")))
}

/// The customer id of a client: `uci-{ID}`.
pub fn customer_id(c: &UciClient) -> String {
    format!("uci-{}", c.id)
}

/// The client's history as events, in business-time order, and the moment
/// to compute its features (see the module documentation for the mapping).
pub fn client_events(c: &UciClient) -> Result<(Vec<CustomerEvent>, DateTime<Utc>), TrainingError> {
    let id = customer_id(c);
    let currency = parsed("currency", Currency::parse("TWD"))?;
    let mut events = vec![CustomerEvent::CustomerRegistered(CustomerRegistered {
        customer_id: parsed("customer_id", CustomerId::parse(&id))?,
        name: parsed("name", CustomerName::parse(&format!("UCI client {}", c.id)))?,
        phone: parsed("phone", PhoneNumber::parse(&format!("+8869{:08}", c.id)))?,
        credit_limit_minor: minor(c.limit).max(0),
        currency: currency.clone(),
        opened_at: at(YEAR, 3, 1),
    })];
    let mcc = parsed("mcc", MerchantCategoryCode::parse("5999"))?;
    let mut previous_bill = 0;
    for (i, &month) in MONTHS.iter().enumerate() {
        let period = format!("{YEAR}-{month:02}");
        let bill = minor(c.bill[i]);
        let paid = minor(c.paid[i]).max(0);
        let purchase = bill - previous_bill + paid;
        if purchase > 0 {
            events.push(CustomerEvent::TransactionRecorded(TransactionRecorded {
                transaction_id: parsed("id", ExternalId::parse(&format!("{id}-buy-{period}")))?,
                amount_minor: purchase,
                currency: currency.clone(),
                kind: TransactionKind::Purchase,
                merchant_category_code: Some(mcc.clone()),
                merchant_name: None,
                channel: Channel::Pos,
                occurred_at: at(YEAR, month, 10),
            }));
        }
        if paid > 0 {
            events.push(CustomerEvent::PaymentRecorded(PaymentRecorded {
                payment_id: parsed("id", ExternalId::parse(&format!("{id}-pay-{period}")))?,
                amount_minor: paid,
                currency: currency.clone(),
                paid_at: at(YEAR, month, 15),
            }));
        }
        let status = c.status[i];
        events.push(CustomerEvent::DaysPastDueReported(DaysPastDueReported {
            days_past_due: if status >= 1 {
                30 * status.unsigned_abs()
            } else {
                0
            },
            as_of: at(YEAR, month, 25),
        }));
        let minimum = ((bill as f64) * 0.05).round().max(0.0) as i64;
        events.push(CustomerEvent::StatementIssued(StatementIssued {
            period: parsed("period", StatementPeriod::parse(&period))?,
            closing_balance_minor: bill,
            minimum_due_minor: minimum.min(bill.max(0)),
            due_date: date(YEAR, month + 1, 21),
            issued_at: at(YEAR, month + 1, 1),
        }));
        previous_bill = bill;
    }
    Ok((events, as_of()))
}
