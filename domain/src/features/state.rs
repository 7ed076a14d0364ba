//! [`FeatureState`]: the bounded summary of a customer's history that the
//! features are computed from, and how each event is folded into it.
//!
//! Everything is keyed by business time (when the fact happened), and pruning
//! is relative to the latest event folded, never to the clock, so the same
//! events folded in the same order always give the same state — and in any
//! order, the same features: a late-arriving fact lands in its own day (a
//! transaction in its day's bucket, the over-limit days from its day on
//! worked out again), a payment folded before its statement is still
//! counted against it, and so is a days-past-due report. Two limits hold:
//! a fact arriving more than [`RETENTION_DAYS`] late cannot move what was
//! pruned, and a second days-past-due report for the same moment is a
//! correction (the later arrival wins).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::mcc::{MerchantGroup, GROUP_COUNT};

use crate::customer::{
    CustomerEvent, DaysPastDueReported, PaymentRecorded, StatementIssued, TransactionRecorded,
};
use crate::values::{StatementPeriod, TransactionKind};

/// Days of daily buckets and days-past-due reports kept, counted back from
/// the latest event folded (the longest window read is 180 days, so an as_of
/// up to 20 days before the latest event is still answered exactly).
pub const RETENTION_DAYS: i64 = 200;
/// Statements kept (the longest run read is 12 due statements; the rest is
/// room for statements issued but not yet due).
pub const STATEMENTS_KEPT: usize = 14;
/// Days of over-limit dates kept (the window read is 365 days; the margin, as
/// for [`RETENTION_DAYS`], lets a recent past as_of be answered exactly).
const OVER_LIMIT_RETENTION_DAYS: i64 = 385;
/// Credit-limit changes kept at most (a limit is rarely changed).
const LIMITS_KEPT: usize = 32;
const SECS_PER_DAY: i64 = 86_400;

/// The UTC day number of a moment (days since 1970-01-01).
pub(super) fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(SECS_PER_DAY)
}

/// 00:00 UTC of the day after `date`: the moment a due date has ended.
pub(super) fn end_of(date: NaiveDate) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    next.and_time(NaiveTime::MIN).and_utc()
}

/// What happened on one UTC day, in minor units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct DayBucket {
    /// Purchases.
    pub purchases: i64,
    /// Cash withdrawals.
    pub cash: i64,
    /// Refunds.
    pub refunds: i64,
    /// Change of the balance (debits − refunds − payments).
    pub net: i64,
    /// Number of purchases.
    pub purchase_count: u32,
    /// Purchases by [`MerchantGroup`] index.
    pub by_group: [i64; GROUP_COUNT],
    /// Purchases reversed in full on this day (they no longer count as
    /// purchases). Reversals are booked on their own day, as refunds are,
    /// so the sums of one kind above may be negative on such a day.
    #[serde(default)]
    pub reversed_purchases: u32,
}

/// A statement and what was paid in its cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct StatementRecord {
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// 00:00 UTC of the day after its due date.
    pub due_end: DateTime<Utc>,
    /// Closing balance (negative = in credit).
    pub closing: i64,
    /// Minimum due (never negative).
    pub minimum: i64,
    /// Payments folded with `issued_at <= paid_at < due_end`.
    pub paid: i64,
    /// The earliest days-past-due report above 0 made after the due date and
    /// before the next statement was issued.
    pub late_at: Option<DateTime<Utc>>,
    /// The period it covers (absent in states stored before it was kept).
    #[serde(default)]
    pub period: Option<StatementPeriod>,
    /// Payments of the cycle returned unpaid: they stop counting from their
    /// return on.
    #[serde(default)]
    pub returned: Vec<PaymentBounced>,
}

/// A credit limit and when it took effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct LimitChange {
    pub at: DateTime<Utc>,
    pub limit: i64,
}

/// A payment and when it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct PaymentMade {
    pub at: DateTime<Utc>,
    pub amount: i64,
}

/// A payment returned unpaid: when it came back, and the payment it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct PaymentBounced {
    pub at: DateTime<Utc>,
    pub paid_at: DateTime<Utc>,
    pub amount: i64,
}

impl StatementRecord {
    /// What was paid in the cycle, less the payments returned by `as_of`.
    pub fn paid_by(&self, as_of: DateTime<Utc>) -> i64 {
        self.returned
            .iter()
            .filter(|r| r.at <= as_of)
            .fold(self.paid, |paid, r| paid.saturating_sub(r.amount))
    }
}

/// A days-past-due report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct DpdReport {
    pub at: DateTime<Utc>,
    pub days: u32,
}

/// The bounded summary of one customer's events that [`Features`] are
/// computed from. `Default` is "no events yet". Its size does not grow with
/// the length of the history: daily buckets and reports cover the last
/// [`RETENTION_DAYS`] days, statements the last [`STATEMENTS_KEPT`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureState {
    pub(super) first_at: Option<DateTime<Utc>>,
    pub(super) latest_at: Option<DateTime<Utc>>,
    /// Running balance in fold order (debits − refunds − payments).
    pub(super) balance: i64,
    /// Sorted by `at`.
    pub(super) limits: Vec<LimitChange>,
    /// Keyed by UTC day number.
    pub(super) days: BTreeMap<i64, DayBucket>,
    /// The end (00:00 UTC of the next day) of each day with activity whose
    /// closing balance was above the credit limit, sorted.
    pub(super) over_limit: Vec<DateTime<Utc>>,
    /// Sorted by `issued_at`.
    pub(super) statements: Vec<StatementRecord>,
    /// Sorted by `at`; the latest is kept even when older than the retention.
    pub(super) dpd: Vec<DpdReport>,
    /// Payments of the last [`RETENTION_DAYS`] days, sorted by `at`: a
    /// statement that arrives after its payments still counts them.
    #[serde(default)]
    pub(super) payments: Vec<PaymentMade>,
    /// Payments that came back unpaid in the last [`RETENTION_DAYS`] days,
    /// sorted by when they came back.
    #[serde(default)]
    pub(super) returns: Vec<PaymentBounced>,
}

impl FeatureState {
    /// Folds one event (events are folded in stream order).
    pub fn apply(&mut self, event: &CustomerEvent) {
        // Decisions and alerts are not behaviour: they change no feature and
        // must not move the clock the features are computed at.
        if !event.is_behaviour() {
            return;
        }
        let at = event.occurred_at();
        self.first_at = Some(self.first_at.map_or(at, |f| f.min(at)));
        self.latest_at = Some(self.latest_at.map_or(at, |l| l.max(at)));
        match event {
            CustomerEvent::CustomerRegistered(e) => {
                self.set_limit(e.opened_at, e.credit_limit_minor)
            }
            CustomerEvent::CreditLimitChanged(e) => {
                self.set_limit(e.effective_at, e.credit_limit_minor)
            }
            CustomerEvent::TransactionRecorded(e) => self.transaction(e),
            CustomerEvent::StatementIssued(e) => self.statement(e),
            CustomerEvent::PaymentRecorded(e) => self.payment(e),
            CustomerEvent::DaysPastDueReported(e) => self.days_past_due(e),
            CustomerEvent::TransactionReversed(e) => self.reversal(e),
            CustomerEvent::PaymentReturned(e) => self.payment_return(e),
            CustomerEvent::StatementCorrected(e) => self.statement_correction(e),
            _ => {}
        }
        self.prune();
    }

    /// When the latest folded event happened, if any.
    pub fn latest_event_at(&self) -> Option<DateTime<Utc>> {
        self.latest_at
    }

    /// The credit limit in force at `at` (0 before any is known).
    pub(super) fn limit_at(&self, at: DateTime<Utc>) -> i64 {
        let n = self.limits.partition_point(|l| l.at <= at);
        n.checked_sub(1).map_or(0, |i| self.limits[i].limit)
    }

    fn set_limit(&mut self, at: DateTime<Utc>, limit: i64) {
        let i = self.limits.partition_point(|l| l.at <= at);
        self.limits.insert(i, LimitChange { at, limit });
        self.mark_over_limit_from(day_of(at));
    }

    fn transaction(&mut self, e: &TransactionRecorded) {
        let amount = e.amount_minor.max(0);
        let day = self.days.entry(day_of(e.occurred_at)).or_default();
        match e.kind {
            TransactionKind::Purchase => {
                day.purchases = day.purchases.saturating_add(amount);
                day.purchase_count = day.purchase_count.saturating_add(1);
                let g = MerchantGroup::of(e.merchant_category_code.as_ref()).index();
                day.by_group[g] = day.by_group[g].saturating_add(amount);
            }
            TransactionKind::CashWithdrawal => day.cash = day.cash.saturating_add(amount),
            TransactionKind::Refund => day.refunds = day.refunds.saturating_add(amount),
            TransactionKind::Fee => {}
        }
        let delta = if e.kind.is_debit() { amount } else { -amount };
        day.net = day.net.saturating_add(delta);
        self.balance = self.balance.saturating_add(delta);
        self.mark_over_limit_from(day_of(e.occurred_at));
    }

    /// Works out again whether each day with activity from `first_day` on
    /// closed above the limit in force at its end. The closing balances are
    /// the running balance less the later days' changes, so they do not
    /// depend on the order the facts arrived in.
    pub(super) fn mark_over_limit_from(&mut self, first_day: i64) {
        let mut closing = self.balance;
        let days: Vec<(i64, i64)> = self
            .days
            .range(first_day..)
            .rev()
            .map(|(d, b)| (*d, b.net))
            .collect();
        for (day, net) in days {
            let end = DateTime::from_timestamp((day + 1) * SECS_PER_DAY, 0).unwrap_or_default();
            let over = closing > self.limit_at(end - chrono::Duration::nanoseconds(1));
            let i = self.over_limit.partition_point(|t| *t < end);
            let marked = self.over_limit.get(i) == Some(&end);
            match (over, marked) {
                (true, false) => self.over_limit.insert(i, end),
                (false, true) => {
                    self.over_limit.remove(i);
                }
                _ => {}
            }
            closing = closing.saturating_sub(net);
        }
    }

    fn statement(&mut self, e: &StatementIssued) {
        let due_end = end_of(e.due_date);
        // Payments and reports folded before the statement still count.
        let paid = self.paid_between(e.issued_at, due_end);
        let returned = self.returned_between(e.issued_at, due_end);
        let i = self
            .statements
            .partition_point(|s| s.issued_at <= e.issued_at);
        let next_issued = self.statements.get(i).map(|s| s.issued_at);
        let record = StatementRecord {
            issued_at: e.issued_at,
            due_end,
            closing: e.closing_balance_minor,
            minimum: e.minimum_due_minor.max(0),
            paid,
            late_at: self.first_late_report(due_end, next_issued),
            period: Some(e.period.clone()),
            returned,
        };
        // Reports from this statement's issue on belong to it now, not to
        // the one before.
        if let Some(prev) = i.checked_sub(1).and_then(|k| self.statements.get(k)) {
            if prev.late_at.is_some_and(|l| l >= e.issued_at) {
                let late = self.first_late_report(prev.due_end, Some(e.issued_at));
                if let Some(prev) = self.statements.get_mut(i - 1) {
                    prev.late_at = late;
                }
            }
        }
        self.statements.insert(i, record);
        let excess = self.statements.len().saturating_sub(STATEMENTS_KEPT);
        self.statements.drain(..excess);
    }

    /// The earliest report above 0 days in `[due_end, before)`.
    pub(super) fn first_late_report(
        &self,
        due_end: DateTime<Utc>,
        before: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        self.dpd
            .iter()
            .filter(|r| r.days > 0 && r.at >= due_end && before.is_none_or(|b| r.at < b))
            .map(|r| r.at)
            .next()
    }

    fn payment(&mut self, e: &PaymentRecorded) {
        let amount = e.amount_minor.max(0);
        self.balance = self.balance.saturating_sub(amount);
        let day = self.days.entry(day_of(e.paid_at)).or_default();
        day.net = day.net.saturating_sub(amount);
        for s in &mut self.statements {
            if s.issued_at <= e.paid_at && e.paid_at < s.due_end {
                s.paid = s.paid.saturating_add(amount);
            }
        }
        let i = self.payments.partition_point(|p| p.at <= e.paid_at);
        self.payments.insert(
            i,
            PaymentMade {
                at: e.paid_at,
                amount,
            },
        );
        self.mark_over_limit_from(day_of(e.paid_at));
    }

    fn days_past_due(&mut self, e: &DaysPastDueReported) {
        let i = self.dpd.partition_point(|r| r.at < e.as_of);
        let report = DpdReport {
            at: e.as_of,
            days: e.days_past_due,
        };
        match self.dpd.get_mut(i) {
            Some(r) if r.at == e.as_of => *r = report,
            _ => self.dpd.insert(i, report),
        }
        if e.days_past_due == 0 {
            return;
        }
        // The report belongs to the latest statement issued by then, if that
        // statement's due date has passed.
        let n = self.statements.partition_point(|s| s.issued_at <= e.as_of);
        if let Some(s) = n.checked_sub(1).and_then(|i| self.statements.get_mut(i)) {
            if e.as_of >= s.due_end {
                s.late_at = Some(s.late_at.map_or(e.as_of, |l| l.min(e.as_of)));
            }
        }
    }

    fn prune(&mut self) {
        let Some(latest) = self.latest_at else {
            return;
        };
        let latest_day = day_of(latest);
        let cutoff = latest_day - RETENTION_DAYS;
        while let Some((&day, _)) = self.days.first_key_value() {
            if day > cutoff {
                break;
            }
            self.days.pop_first();
        }
        let n = self.dpd.partition_point(|r| day_of(r.at) <= cutoff);
        self.dpd.drain(..n.min(self.dpd.len().saturating_sub(1)));
        let n = self.payments.partition_point(|p| day_of(p.at) <= cutoff);
        self.payments.drain(..n);
        let n = self.returns.partition_point(|r| day_of(r.at) <= cutoff);
        self.returns.drain(..n);
        let n = self.limits.partition_point(|l| day_of(l.at) <= cutoff);
        self.limits.drain(..n.saturating_sub(1));
        let excess = self.limits.len().saturating_sub(LIMITS_KEPT);
        self.limits.drain(..excess);
        let over_cutoff = latest_day - OVER_LIMIT_RETENTION_DAYS;
        let n = self
            .over_limit
            .partition_point(|t| day_of(*t) <= over_cutoff);
        self.over_limit.drain(..n);
    }
}
