//! A customer's profile, transactions and statements as the bank shows
//! them (the admin's drill-down and the customer's own page read these),
//! typed, so what is sent and what the API description says are one thing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;

use crate::http::cursor;
use crate::http::openapi::schemas::{ChannelDoc, TransactionKindDoc};
use crate::http::problem::Problem;

/// A customer's profile and usage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    /// Id.
    pub customer_id: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Currency.
    pub currency: String,
    /// Limit.
    pub credit_limit_minor: i64,
    /// Balance.
    pub balance_minor: i64,
    /// Limit minus balance, at least 0.
    pub available_minor: i64,
    /// Balance / limit.
    pub utilisation: f64,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Last behaviour event.
    pub last_activity_at: DateTime<Utc>,
    /// Days past due.
    pub days_past_due: i32,
}

/// A transaction as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransactionRow {
    /// Id.
    pub transaction_id: String,
    /// Amount.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Kind.
    #[schema(value_type = TransactionKindDoc)]
    pub kind: String,
    /// Merchant category.
    pub merchant_category_code: Option<String>,
    /// Merchant.
    pub merchant_name: Option<String>,
    /// Channel.
    #[schema(value_type = ChannelDoc)]
    pub channel: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// How much of it was reversed since (0 when nothing was).
    pub reversed_minor: i64,
}

/// A page of transactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransactionsPage {
    /// Newest first.
    pub items: Vec<TransactionRow>,
    /// Next page; none on the last.
    pub next_cursor: Option<String>,
}

/// A statement as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatementRow {
    /// `YYYY-MM`.
    pub period: String,
    /// Closing balance.
    pub closing_balance_minor: i64,
    /// Minimum due.
    pub minimum_due_minor: i64,
    /// Due date.
    pub due_date: NaiveDate,
    /// Issued.
    pub issued_at: DateTime<Utc>,
    /// When the figures above were last corrected; none when they are as
    /// issued.
    pub corrected_at: Option<DateTime<Utc>>,
}

/// A correction of a recorded fact, as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CorrectionRow {
    /// `reversal`, `returned_payment` or `statement_correction`.
    #[schema(value_type = CorrectionKindDoc)]
    pub kind: String,
    /// The correction's id (for a returned payment, the payment's).
    pub correction_id: String,
    /// What it corrects: a transaction id, a payment id or a period.
    pub corrects: String,
    /// Amount reversed or returned; none for a statement correction.
    pub amount_minor: Option<i64>,
    /// Why (`chargeback`, `insufficient_funds`, …); none for a statement correction.
    pub reason: Option<String>,
    /// When (business time).
    pub at: DateTime<Utc>,
}

/// The kinds of correction.
#[derive(ToSchema)]
#[schema(as = CorrectionKind)]
#[allow(dead_code)]
pub enum CorrectionKindDoc {
    /// A transaction reversed, in full or in part.
    #[schema(rename = "reversal")]
    Reversal,
    /// A payment that came back unpaid.
    #[schema(rename = "returned_payment")]
    ReturnedPayment,
    /// A statement's figures corrected.
    #[schema(rename = "statement_correction")]
    StatementCorrection,
}

/// A customer's corrections, newest first (at most `limit`).
pub async fn corrections(
    db: &mut PgConnection,
    id: &str,
    limit: i64,
) -> Result<Vec<CorrectionRow>, Problem> {
    let rows = sqlx::query(
        "SELECT kind, correction_id, corrects, amount_minor, reason, at FROM customer_corrections \
         WHERE customer_id = $1 ORDER BY at DESC, sequence DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CorrectionRow {
                kind: r.try_get("kind")?,
                correction_id: r.try_get("correction_id")?,
                corrects: r.try_get("corrects")?,
                amount_minor: r.try_get("amount_minor")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// A page of statements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StatementsPage {
    /// Newest period first.
    pub items: Vec<StatementRow>,
    /// Next page; none on the last.
    pub next_cursor: Option<String>,
}

/// The profile row, or 404.
pub async fn overview(db: &mut PgConnection, id: &str) -> Result<Profile, Problem> {
    let r = sqlx::query(
        "SELECT customer_id, name, phone, currency, credit_limit_minor, balance_minor, utilisation, \
                opened_at, last_activity_at, days_past_due FROM customer_overview WHERE customer_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?
    .ok_or_else(|| Problem::not_found(format!("no customer {id}")))?;
    let limit: i64 = r.try_get("credit_limit_minor")?;
    let balance: i64 = r.try_get("balance_minor")?;
    Ok(Profile {
        customer_id: r.try_get("customer_id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        currency: r.try_get("currency")?,
        credit_limit_minor: limit,
        balance_minor: balance,
        available_minor: (limit - balance).max(0),
        utilisation: r.try_get("utilisation")?,
        opened_at: r.try_get("opened_at")?,
        last_activity_at: r.try_get("last_activity_at")?,
        days_past_due: r.try_get("days_past_due")?,
    })
}

#[derive(Serialize, Deserialize)]
struct TxKey {
    at: DateTime<Utc>,
    seq: i64,
}

/// A page of transactions, newest first.
pub async fn transactions(
    db: &mut PgConnection,
    id: &str,
    limit: i64,
    after: Option<&str>,
) -> Result<TransactionsPage, Problem> {
    let key: Option<TxKey> = after.map(cursor::decode).transpose()?;
    let rows = sqlx::query(
        "SELECT t.sequence, t.transaction_id, t.amount_minor, t.currency, t.kind, t.merchant_category_code, \
                t.merchant_name, t.channel, t.occurred_at, \
                (SELECT coalesce(sum(c.amount_minor), 0)::bigint FROM customer_corrections c \
                  WHERE c.customer_id = t.customer_id AND c.kind = 'reversal' \
                    AND c.corrects = t.transaction_id) AS reversed_minor \
         FROM customer_transactions t \
         WHERE t.customer_id = $1 AND ($2::timestamptz IS NULL OR (t.occurred_at, t.sequence) < ($2, $3)) \
         ORDER BY t.occurred_at DESC, t.sequence DESC LIMIT $4",
    )
    .bind(id)
    .bind(key.as_ref().map(|k| k.at))
    .bind(key.as_ref().map_or(0, |k| k.seq))
    .bind(limit + 1)
    .fetch_all(&mut *db)
    .await?;
    let mut items = Vec::new();
    for r in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        items.push(TransactionRow {
            transaction_id: r.try_get("transaction_id")?,
            amount_minor: r.try_get("amount_minor")?,
            currency: r.try_get("currency")?,
            kind: r.try_get("kind")?,
            merchant_category_code: r.try_get("merchant_category_code")?,
            merchant_name: r.try_get("merchant_name")?,
            channel: r.try_get("channel")?,
            occurred_at: r.try_get("occurred_at")?,
            reversed_minor: r.try_get("reversed_minor")?,
        });
    }
    let next_cursor = if rows.len() as i64 > limit {
        let last = &rows[items.len() - 1];
        Some(cursor::encode(&TxKey {
            at: last.try_get("occurred_at")?,
            seq: last.try_get("sequence")?,
        }))
    } else {
        None
    };
    Ok(TransactionsPage { items, next_cursor })
}

/// A page of statements, newest period first.
pub async fn statements(
    db: &mut PgConnection,
    id: &str,
    limit: i64,
    after: Option<&str>,
) -> Result<StatementsPage, Problem> {
    let key: Option<String> = after.map(cursor::decode).transpose()?;
    let rows = sqlx::query(
        "SELECT s.period, coalesce(c.closing_balance_minor, s.closing_balance_minor) AS closing_balance_minor, \
                coalesce(c.minimum_due_minor, s.minimum_due_minor) AS minimum_due_minor, \
                coalesce(c.due_date, s.due_date) AS due_date, s.issued_at, c.at AS corrected_at \
         FROM customer_statements s \
         LEFT JOIN LATERAL (SELECT closing_balance_minor, minimum_due_minor, due_date, at \
                FROM customer_corrections WHERE customer_id = s.customer_id \
                  AND kind = 'statement_correction' AND corrects = s.period \
                ORDER BY sequence DESC LIMIT 1) c ON true \
         WHERE s.customer_id = $1 AND ($2::text IS NULL OR s.period < $2) ORDER BY s.period DESC LIMIT $3",
    )
    .bind(id)
    .bind(key)
    .bind(limit + 1)
    .fetch_all(&mut *db)
    .await?;
    let mut items = Vec::new();
    for r in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        items.push(StatementRow {
            period: r.try_get("period")?,
            closing_balance_minor: r.try_get("closing_balance_minor")?,
            minimum_due_minor: r.try_get("minimum_due_minor")?,
            due_date: r.try_get("due_date")?,
            issued_at: r.try_get("issued_at")?,
            corrected_at: r.try_get("corrected_at")?,
        });
    }
    let next_cursor = (rows.len() as i64 > limit)
        .then(|| items.last().map(|i| cursor::encode(&i.period)))
        .flatten();
    Ok(StatementsPage { items, next_cursor })
}
