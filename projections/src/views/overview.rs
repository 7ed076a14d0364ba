//! `customer_overview`: one row per customer with identity, terms, balance
//! and utilisation — what the admins' lists filter and sort on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::CustomerEvent;
use sqlx::{PgConnection, Row};
use store::RecordedEvent;

use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The projection.
pub struct CustomerOverview;

#[derive(Clone, Debug)]
struct Row_ {
    name: String,
    phone: String,
    currency: String,
    credit_limit_minor: i64,
    balance_minor: i64,
    opened_at: DateTime<Utc>,
    last_activity_at: DateTime<Utc>,
    days_past_due: i32,
    band: Option<String>,
    score: Option<f64>,
    band_since: Option<DateTime<Utc>>,
    last_sequence: i64,
}

/// Balance ÷ limit, the same definition as the `utilisation` feature: 0 when
/// in credit, capped at 1.5, and 1.5 for a positive balance on a zero limit.
pub fn utilisation(balance_minor: i64, limit_minor: i64) -> f64 {
    if balance_minor <= 0 {
        0.0
    } else if limit_minor <= 0 {
        1.5
    } else {
        (balance_minor as f64 / limit_minor as f64).min(1.5)
    }
}

impl Projection for CustomerOverview {
    const NAME: &'static str = "customer_overview";
    const TABLES: &'static [&'static str] = &["customer_overview"];
    type RebuildMemory = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("customer_overview");
        let decoded = customer_events(events)?;
        if decoded.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = decoded
            .iter()
            .map(|(e, _)| e.aggregate_id.clone())
            .collect();
        let existing = sqlx::query(&format!(
            "SELECT customer_id, name, phone, currency, credit_limit_minor, balance_minor, opened_at, \
                    last_activity_at, days_past_due, band, score, band_since, last_sequence FROM {table} WHERE customer_id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut rows: BTreeMap<String, Row_> = BTreeMap::new();
        for r in existing {
            rows.insert(
                r.try_get("customer_id")?,
                Row_ {
                    name: r.try_get("name")?,
                    phone: r.try_get("phone")?,
                    currency: r.try_get("currency")?,
                    credit_limit_minor: r.try_get("credit_limit_minor")?,
                    balance_minor: r.try_get("balance_minor")?,
                    opened_at: r.try_get("opened_at")?,
                    last_activity_at: r.try_get("last_activity_at")?,
                    days_past_due: r.try_get("days_past_due")?,
                    band: r.try_get("band")?,
                    score: r.try_get("score")?,
                    band_since: r.try_get("band_since")?,
                    last_sequence: r.try_get("last_sequence")?,
                },
            );
        }
        for (stored, event) in decoded {
            let id = &stored.aggregate_id;
            if let CustomerEvent::CustomerRegistered(e) = &event {
                rows.entry(id.clone()).or_insert_with(|| Row_ {
                    name: e.name.to_string(),
                    phone: e.phone.to_string(),
                    currency: e.currency.to_string(),
                    credit_limit_minor: e.credit_limit_minor,
                    balance_minor: 0,
                    opened_at: e.opened_at,
                    last_activity_at: e.opened_at,
                    days_past_due: 0,
                    band: None,
                    score: None,
                    band_since: None,
                    last_sequence: 0,
                });
            }
            let Some(row) = rows.get_mut(id) else {
                return Err(ProjectionError::Poison {
                    position: stored.checkpoint.position,
                    reason: format!("{} for unregistered customer {id}", stored.event_type),
                });
            };
            if stored.sequence <= row.last_sequence {
                continue; // already applied (a rebuild overlapping the live log)
            }
            row.last_sequence = stored.sequence;
            if event.is_behaviour() {
                row.last_activity_at = row.last_activity_at.max(event.occurred_at());
            }
            match event {
                CustomerEvent::CreditLimitChanged(e) => {
                    row.credit_limit_minor = e.credit_limit_minor
                }
                CustomerEvent::TransactionRecorded(e) if e.kind.is_debit() => {
                    row.balance_minor += e.amount_minor
                }
                CustomerEvent::TransactionRecorded(e) => row.balance_minor -= e.amount_minor,
                CustomerEvent::PaymentRecorded(e) => row.balance_minor -= e.amount_minor,
                CustomerEvent::TransactionReversed(e) if e.kind.is_debit() => {
                    row.balance_minor -= e.amount_minor
                }
                CustomerEvent::TransactionReversed(e) => row.balance_minor += e.amount_minor,
                CustomerEvent::PaymentReturned(e) => row.balance_minor += e.amount_minor,
                CustomerEvent::DaysPastDueReported(e) => row.days_past_due = e.days_past_due as i32,
                CustomerEvent::RiskAssessed(e) => {
                    let band = super::risk_state::band_name(e.assessment.band).to_owned();
                    if row.band.as_deref() != Some(band.as_str()) {
                        row.band_since = Some(e.assessment.as_of);
                    }
                    row.band = Some(band);
                    row.score = Some(e.assessment.scores.ensemble);
                }
                _ => {}
            }
        }
        let mut cols = Columns::default();
        for (id, r) in rows {
            cols.ids.push(id);
            cols.utilisation
                .push(utilisation(r.balance_minor, r.credit_limit_minor));
            cols.names.push(r.name);
            cols.phones.push(r.phone);
            cols.currencies.push(r.currency);
            cols.limits.push(r.credit_limit_minor);
            cols.balances.push(r.balance_minor);
            cols.opened.push(r.opened_at);
            cols.activity.push(r.last_activity_at);
            cols.dpd.push(r.days_past_due);
            cols.bands.push(r.band);
            cols.scores.push(r.score);
            cols.band_since.push(r.band_since);
            cols.sequences.push(r.last_sequence);
        }
        sqlx::query(&format!(
            "INSERT INTO {table} (customer_id, name, phone, currency, credit_limit_minor, balance_minor, \
                 utilisation, opened_at, last_activity_at, days_past_due, last_sequence, band, score, band_since) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], \
                 $7::float8[], $8::timestamptz[], $9::timestamptz[], $10::int[], $11::bigint[], $12::text[], \
                 $13::float8[], $14::timestamptz[]) \
             ON CONFLICT (customer_id) DO UPDATE SET credit_limit_minor = EXCLUDED.credit_limit_minor, \
                 balance_minor = EXCLUDED.balance_minor, utilisation = EXCLUDED.utilisation, \
                 last_activity_at = EXCLUDED.last_activity_at, days_past_due = EXCLUDED.days_past_due, \
                 last_sequence = EXCLUDED.last_sequence, band = EXCLUDED.band, score = EXCLUDED.score, \
                 band_since = EXCLUDED.band_since"
        ))
        .bind(&cols.ids)
        .bind(&cols.names)
        .bind(&cols.phones)
        .bind(&cols.currencies)
        .bind(&cols.limits)
        .bind(&cols.balances)
        .bind(&cols.utilisation)
        .bind(&cols.opened)
        .bind(&cols.activity)
        .bind(&cols.dpd)
        .bind(&cols.sequences)
        .bind(&cols.bands)
        .bind(&cols.scores)
        .bind(&cols.band_since)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

#[derive(Default)]
struct Columns {
    ids: Vec<String>,
    names: Vec<String>,
    phones: Vec<String>,
    currencies: Vec<String>,
    limits: Vec<i64>,
    balances: Vec<i64>,
    utilisation: Vec<f64>,
    opened: Vec<DateTime<Utc>>,
    activity: Vec<DateTime<Utc>>,
    dpd: Vec<i32>,
    bands: Vec<Option<String>>,
    scores: Vec<Option<f64>>,
    band_since: Vec<Option<DateTime<Utc>>>,
    sequences: Vec<i64>,
}
