//! The `customer_corrections` rows of the activity projection: one per
//! reversal, returned payment or corrected statement, written beside the
//! facts they correct (which stay as recorded).

use chrono::{DateTime, NaiveDate, Utc};
use domain::CustomerEvent;
use sqlx::PgConnection;
use store::RecordedEvent;

use crate::projection::ProjectionError;

/// Columns of the corrections in one batch of events.
#[derive(Default)]
pub(super) struct CorrectionColumns {
    ids: Vec<String>,
    sequences: Vec<i64>,
    kinds: Vec<&'static str>,
    correction_ids: Vec<String>,
    corrects: Vec<String>,
    amounts: Vec<Option<i64>>,
    reasons: Vec<Option<String>>,
    closings: Vec<Option<i64>>,
    minimums: Vec<Option<i64>>,
    due: Vec<Option<NaiveDate>>,
    at: Vec<DateTime<Utc>>,
}

impl CorrectionColumns {
    /// Takes `event` if it is a correction; whether it was.
    pub(super) fn push(&mut self, stored: &RecordedEvent, event: &CustomerEvent) -> bool {
        let (kind, id, corrects, amount, reason, at) = match event {
            CustomerEvent::TransactionReversed(e) => (
                "reversal",
                e.reversal_id.to_string(),
                e.transaction_id.to_string(),
                Some(e.amount_minor),
                Some(super::activity::enum_name(&e.reason)),
                e.reversed_at,
            ),
            CustomerEvent::PaymentReturned(e) => (
                "returned_payment",
                e.payment_id.to_string(),
                e.payment_id.to_string(),
                Some(e.amount_minor),
                Some(super::activity::enum_name(&e.reason)),
                e.returned_at,
            ),
            CustomerEvent::StatementCorrected(e) => (
                "statement_correction",
                e.correction_id.to_string(),
                e.period.to_string(),
                None,
                None,
                e.corrected_at,
            ),
            _ => return false,
        };
        let figures = match event {
            CustomerEvent::StatementCorrected(e) => (
                Some(e.closing_balance_minor),
                Some(e.minimum_due_minor),
                Some(e.due_date),
            ),
            _ => (None, None, None),
        };
        self.ids.push(stored.aggregate_id.clone());
        self.sequences.push(stored.sequence);
        self.kinds.push(kind);
        self.correction_ids.push(id);
        self.corrects.push(corrects);
        self.amounts.push(amount);
        self.reasons.push(reason);
        self.closings.push(figures.0);
        self.minimums.push(figures.1);
        self.due.push(figures.2);
        self.at.push(at);
        true
    }

    /// Inserts the rows taken (a replayed batch changes nothing).
    pub(super) async fn write(
        self,
        tx: &mut PgConnection,
        table: &str,
    ) -> Result<(), ProjectionError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let kinds: Vec<String> = self.kinds.iter().map(|k| (*k).to_owned()).collect();
        sqlx::query(&format!(
            "INSERT INTO {table} (customer_id, sequence, kind, correction_id, corrects, amount_minor, \
                 reason, closing_balance_minor, minimum_due_minor, due_date, at) \
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                 $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::date[], $11::timestamptz[]) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(&self.ids)
        .bind(&self.sequences)
        .bind(&kinds)
        .bind(&self.correction_ids)
        .bind(&self.corrects)
        .bind(&self.amounts)
        .bind(&self.reasons)
        .bind(&self.closings)
        .bind(&self.minimums)
        .bind(&self.due)
        .bind(&self.at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
