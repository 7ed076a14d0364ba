//! `customer_transactions`, `customer_statements` and
//! `customer_corrections`: the drill-down lists of a customer's card
//! activity.

use domain::CustomerEvent;
use sqlx::PgConnection;
use store::RecordedEvent;

use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The projection.
pub struct CustomerActivity;

impl Projection for CustomerActivity {
    const NAME: &'static str = "customer_activity";
    const TABLES: &'static [&'static str] = &[
        "customer_transactions",
        "customer_statements",
        "customer_corrections",
    ];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let mut t = TxColumns::default();
        let mut s = StatementColumns::default();
        let mut c = super::corrections::CorrectionColumns::default();
        for (stored, event) in customer_events(events)? {
            if c.push(stored, &event) {
                continue;
            }
            match event {
                CustomerEvent::TransactionRecorded(e) => {
                    t.ids.push(stored.aggregate_id.clone());
                    t.sequences.push(stored.sequence);
                    t.txn_ids.push(e.transaction_id.to_string());
                    t.amounts.push(e.amount_minor);
                    t.currencies.push(e.currency.to_string());
                    t.kinds.push(enum_name(&e.kind));
                    t.mccs.push(e.merchant_category_code.map(|m| m.to_string()));
                    t.merchants.push(e.merchant_name.map(|m| m.to_string()));
                    t.channels.push(enum_name(&e.channel));
                    t.at.push(e.occurred_at);
                }
                CustomerEvent::StatementIssued(e) => {
                    s.ids.push(stored.aggregate_id.clone());
                    s.periods.push(e.period.to_string());
                    s.balances.push(e.closing_balance_minor);
                    s.minimums.push(e.minimum_due_minor);
                    s.due.push(e.due_date);
                    s.issued.push(e.issued_at);
                }
                _ => {}
            }
        }
        if !t.ids.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO {} (customer_id, sequence, transaction_id, amount_minor, currency, kind, \
                     merchant_category_code, merchant_name, channel, occurred_at) \
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], \
                     $7::text[], $8::text[], $9::text[], $10::timestamptz[]) \
                 ON CONFLICT DO NOTHING",
                tables.name("customer_transactions")
            ))
            .bind(&t.ids)
            .bind(&t.sequences)
            .bind(&t.txn_ids)
            .bind(&t.amounts)
            .bind(&t.currencies)
            .bind(&t.kinds)
            .bind(&t.mccs)
            .bind(&t.merchants)
            .bind(&t.channels)
            .bind(&t.at)
            .execute(&mut *tx)
            .await?;
        }
        if !s.ids.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO {} (customer_id, period, closing_balance_minor, minimum_due_minor, due_date, issued_at) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::date[], $6::timestamptz[]) \
                 ON CONFLICT DO NOTHING",
                tables.name("customer_statements")
            ))
            .bind(&s.ids)
            .bind(&s.periods)
            .bind(&s.balances)
            .bind(&s.minimums)
            .bind(&s.due)
            .bind(&s.issued)
            .execute(&mut *tx)
            .await?;
        }
        c.write(tx, tables.name("customer_corrections")).await
    }
}

/// The snake_case wire name of a serde enum value.
pub(super) fn enum_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[derive(Default)]
struct TxColumns {
    ids: Vec<String>,
    sequences: Vec<i64>,
    txn_ids: Vec<String>,
    amounts: Vec<i64>,
    currencies: Vec<String>,
    kinds: Vec<String>,
    mccs: Vec<Option<String>>,
    merchants: Vec<Option<String>>,
    channels: Vec<String>,
    at: Vec<chrono::DateTime<chrono::Utc>>,
}

#[derive(Default)]
struct StatementColumns {
    ids: Vec<String>,
    periods: Vec<String>,
    balances: Vec<i64>,
    minimums: Vec<i64>,
    due: Vec<chrono::NaiveDate>,
    issued: Vec<chrono::DateTime<chrono::Utc>>,
}
