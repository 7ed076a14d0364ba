//! How corrections are folded into a [`FeatureState`]. Each counts from its
//! own moment on, so features as of an earlier moment still see what was
//! known then:
//! - a reversal is booked on its own day, as a refund is: it lowers that
//!   day's spend of the reversed kind (and merchant group) and the balance;
//! - a returned payment raises the balance on its day, stops counting
//!   towards the statement cycle it had paid from its return on, and is
//!   remembered itself (a bounced payment is a strong early-warning signal);
//! - a corrected statement's figures replace the issued ones. This one
//!   holds for every as_of: a statement corrected after its due date reads
//!   corrected even as of a moment before the correction (the reference
//!   fold, which stops at as_of, reads it as issued).

use chrono::{DateTime, Utc};

use super::mcc::MerchantGroup;
use super::state::{day_of, end_of, FeatureState, PaymentBounced};
use crate::customer::{PaymentReturned, StatementCorrected, TransactionReversed};
use crate::values::TransactionKind;

impl FeatureState {
    pub(super) fn reversal(&mut self, e: &TransactionReversed) {
        let amount = e.amount_minor.max(0);
        let delta = if e.kind.is_debit() { amount } else { -amount };
        let day_number = day_of(e.reversed_at);
        let day = self.days.entry(day_number).or_default();
        match e.kind {
            TransactionKind::Purchase => {
                day.purchases = day.purchases.saturating_sub(amount);
                if e.in_full {
                    day.reversed_purchases = day.reversed_purchases.saturating_add(1);
                }
                let g = MerchantGroup::of(e.merchant_category_code.as_ref()).index();
                day.by_group[g] = day.by_group[g].saturating_sub(amount);
            }
            TransactionKind::CashWithdrawal => day.cash = day.cash.saturating_sub(amount),
            TransactionKind::Refund => day.refunds = day.refunds.saturating_sub(amount),
            TransactionKind::Fee => {}
        }
        day.net = day.net.saturating_sub(delta);
        self.balance = self.balance.saturating_sub(delta);
        self.mark_over_limit_from(day_number);
    }

    pub(super) fn payment_return(&mut self, e: &PaymentReturned) {
        let amount = e.amount_minor.max(0);
        self.balance = self.balance.saturating_add(amount);
        let day_number = day_of(e.returned_at);
        let day = self.days.entry(day_number).or_default();
        day.net = day.net.saturating_add(amount);
        let bounced = PaymentBounced {
            at: e.returned_at,
            paid_at: e.paid_at,
            amount,
        };
        for s in &mut self.statements {
            if s.issued_at <= e.paid_at && e.paid_at < s.due_end {
                s.returned.push(bounced.clone());
            }
        }
        let i = self.returns.partition_point(|r| r.at <= e.returned_at);
        self.returns.insert(i, bounced);
        self.mark_over_limit_from(day_number);
    }

    pub(super) fn statement_correction(&mut self, e: &StatementCorrected) {
        let Some(i) = self.statements.iter().position(|s| {
            s.issued_at == e.issued_at && s.period.as_ref().is_none_or(|p| *p == e.period)
        }) else {
            return;
        };
        let due_end = end_of(e.due_date);
        let next_issued = self.statements.get(i + 1).map(|s| s.issued_at);
        if self.statements[i].due_end != due_end {
            let paid = self.paid_between(e.issued_at, due_end);
            let returned = self.returned_between(e.issued_at, due_end);
            let late_at = self.first_late_report(due_end, next_issued);
            let s = &mut self.statements[i];
            s.due_end = due_end;
            s.paid = paid;
            s.returned = returned;
            s.late_at = late_at;
        }
        let s = &mut self.statements[i];
        s.closing = e.closing_balance_minor;
        s.minimum = e.minimum_due_minor.max(0);
    }

    /// Payments kept with `from <= at < to`.
    pub(super) fn paid_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.payments
            .iter()
            .filter(|p| from <= p.at && p.at < to)
            .fold(0_i64, |sum, p| sum.saturating_add(p.amount))
    }

    /// Returns kept of payments made with `from <= paid_at < to`.
    pub(super) fn returned_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<PaymentBounced> {
        self.returns
            .iter()
            .filter(|r| from <= r.paid_at && r.paid_at < to)
            .cloned()
            .collect()
    }
}
