//! The portfolio as the alert budget reads it (`alert_budget_customers`):
//! who is registered, who has been 30+ days past due, who a risk alert
//! messaged when (business time), and who waits for room since when. The escalation policy keeps the table in
//! its own transaction, in log order, so the counts it reads at a decision
//! are those of the log up to that decision; the rule itself is
//! `domain::alert_budget`.

use chrono::{DateTime, Utc};
use domain::alert_budget::{
    BudgetCounts, Outcomes, AGE_CLASSES, AGE_STEP_DAYS, BUDGET_WINDOW_DAYS, MATURITY_DAYS,
};
use domain::customer::RaiseAlert;
use sqlx::PgConnection;

/// Days past due from which a customer is delinquent for the budget.
pub const DELINQUENT_DAYS_PAST_DUE: u32 = 30;

/// Facts of a batch not written yet: written together before the next count
/// (and at the end of the batch), so an import's registrations cost one
/// statement per batch rather than one each.
#[derive(Debug, Default)]
pub struct PendingFacts {
    opened: (Vec<String>, Vec<DateTime<Utc>>),
    delinquent: (Vec<String>, Vec<DateTime<Utc>>),
}

impl PendingFacts {
    /// A customer registered, with the account opened at `at`.
    pub fn opened(&mut self, customer: &str, at: DateTime<Utc>) {
        self.opened.0.push(customer.to_owned());
        self.opened.1.push(at);
    }

    /// A customer was reported 30+ days past due as of `at`.
    pub fn delinquent(&mut self, customer: &str, at: DateTime<Utc>) {
        self.delinquent.0.push(customer.to_owned());
        self.delinquent.1.push(at);
    }

    /// Writes what is pending. Both writes are idempotent (a registration
    /// seen again changes nothing, the earliest delinquency wins), so events
    /// replayed or already backfilled by the migration are harmless.
    pub async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if !self.opened.0.is_empty() {
            let (ids, at) = std::mem::take(&mut self.opened);
            sqlx::query(
                "INSERT INTO alert_budget_customers (customer_id, opened_at) \
                 SELECT * FROM UNNEST($1::text[], $2::timestamptz[]) \
                 ON CONFLICT (customer_id) DO NOTHING",
            )
            .bind(ids)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        if !self.delinquent.0.is_empty() {
            let (ids, at) = std::mem::take(&mut self.delinquent);
            // LEAST ignores NULL: the first delinquency is kept.
            sqlx::query(
                "UPDATE alert_budget_customers b SET delinquent_at = LEAST(b.delinquent_at, d.at) \
                 FROM (SELECT id, min(at) AS at FROM UNNEST($1::text[], $2::timestamptz[]) AS u(id, at) \
                       GROUP BY id) d \
                 WHERE b.customer_id = d.id",
            )
            .bind(ids)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// The portfolio at `as_of`, and whether `customer` already counts against
/// the budget (messaged within the window and not delinquent: one more
/// message to them costs nothing).
pub async fn counts_at(
    tx: &mut PgConnection,
    customer: &str,
    as_of: DateTime<Utc>,
) -> Result<(BudgetCounts, bool), sqlx::Error> {
    // One scan for the totals; the window count and the customer's own row
    // go through their indexes.
    let (customers, delinquent, messaged, seconds_open, counted): (i64, i64, i64, i64, bool) =
        sqlx::query_as(
            "WITH w AS (SELECT $2 - make_interval(days => $3) AS since), \
                  t AS (SELECT count(*) AS n, count(delinquent_at) AS d, min(opened_at) AS first \
                        FROM alert_budget_customers) \
             SELECT t.n, t.d, \
                    (SELECT count(*) FROM alert_budget_customers, w \
                     WHERE delinquent_at IS NULL AND messaged_at IS NOT NULL AND messaged_at > w.since), \
                    coalesce(floor(extract(epoch FROM $2 - t.first)), 0)::bigint, \
                    EXISTS (SELECT 1 FROM alert_budget_customers, w WHERE customer_id = $1 \
                            AND delinquent_at IS NULL AND messaged_at > w.since) \
             FROM t",
        )
        .bind(customer)
        .bind(as_of)
        .bind(i32::try_from(BUDGET_WINDOW_DAYS).unwrap_or(i32::MAX))
        .fetch_one(&mut *tx)
        .await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok((
        BudgetCounts {
            customers: n(customers),
            delinquent: n(delinquent),
            messaged_not_delinquent: n(messaged),
            seconds_open,
            expected_to_come_true: expected_to_come_true(tx, as_of).await?,
        },
        counted,
    ))
}

/// Of the customers messaged and not delinquent at `as_of`, how many are
/// expected to come true: the warnings (`warned_at`) younger than
/// `MATURITY_DAYS`, by age class, weighed by what the matured ones did
/// (`Outcomes`).
async fn expected_to_come_true(
    tx: &mut PgConnection,
    as_of: DateTime<Utc>,
) -> Result<f64, sqlx::Error> {
    // kind 0: matured warnings by whole days to the customer's delinquency
    // (none: not delinquent; capped past maturity); kind 1: young warnings
    // not delinquent, by age class.
    let rows: Vec<(i32, Option<i64>, i64)> = sqlx::query_as(
        "SELECT 0, CASE WHEN delinquent_at IS NULL THEN NULL ELSE \
                    least(floor(extract(epoch FROM delinquent_at - warned_at) / 86400), $2 + 1)::bigint END, \
                count(*) \
         FROM alert_budget_customers \
         WHERE warned_at <= $1 - make_interval(days => $2) \
           AND (delinquent_at IS NULL OR delinquent_at > warned_at) \
         GROUP BY 2 \
         UNION ALL \
         SELECT 1, floor(extract(epoch FROM $1 - warned_at) / ($3 * 86400))::bigint, count(*) \
         FROM alert_budget_customers \
         WHERE delinquent_at IS NULL AND warned_at > $1 - make_interval(days => $2) \
         GROUP BY 2",
    )
    .bind(as_of)
    .bind(i32::try_from(MATURITY_DAYS).unwrap_or(i32::MAX))
    .bind(AGE_STEP_DAYS as f64)
    .fetch_all(&mut *tx)
    .await?;
    let mut outcomes = Outcomes::default();
    let mut young = [0_u64; AGE_CLASSES];
    for (kind, key, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        if kind == 0 {
            outcomes.add_many(key, count);
        } else {
            let k = usize::try_from(key.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
            young[k.min(AGE_CLASSES - 1)] += count;
        }
    }
    Ok(outcomes.expected_true(&young))
}

/// `customer`'s rise into High was withheld at `since`: they wait for room
/// with `alert`, the alert to raise then (a later withheld rise keeps the
/// place they hold in the queue).
pub async fn withhold(
    tx: &mut PgConnection,
    customer: &str,
    since: DateTime<Utc>,
    alert: &RaiseAlert,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alert_budget_customers SET withheld_since = coalesce(withheld_since, $2), \
                withheld_alert = $3 WHERE customer_id = $1",
    )
    .bind(customer)
    .bind(since)
    .bind(sqlx::types::Json(alert))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `customer` left High: they no longer wait.
pub async fn stop_waiting(tx: &mut PgConnection, customer: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alert_budget_customers SET withheld_since = NULL, withheld_alert = NULL \
         WHERE customer_id = $1 AND withheld_since IS NOT NULL",
    )
    .bind(customer)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The customer waiting longest who is not delinquent, and their alert.
pub async fn longest_waiting(
    tx: &mut PgConnection,
) -> Result<Option<(String, RaiseAlert)>, sqlx::Error> {
    let row: Option<(String, sqlx::types::Json<RaiseAlert>)> = sqlx::query_as(
        "SELECT customer_id, withheld_alert FROM alert_budget_customers \
         WHERE withheld_since IS NOT NULL AND delinquent_at IS NULL \
         ORDER BY withheld_since, customer_id LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|(c, a)| (c, a.0)))
}

/// `customer` was messaged (its alert let through) at `at`; the latest
/// message is kept, a message that starts counting them is their warning
/// (`warned_at`), and they no longer wait.
pub async fn messaged(
    tx: &mut PgConnection,
    customer: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alert_budget_customers SET \
                warned_at = CASE WHEN messaged_at IS NULL OR delinquent_at IS NOT NULL \
                                      OR messaged_at <= $2 - make_interval(days => $3) \
                                 THEN $2 ELSE warned_at END, \
                messaged_at = GREATEST(messaged_at, $2), \
                withheld_since = NULL, withheld_alert = NULL WHERE customer_id = $1",
    )
    .bind(customer)
    .bind(at)
    .bind(i32::try_from(BUDGET_WINDOW_DAYS).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
