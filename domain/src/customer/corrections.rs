//! Corrections of facts already recorded: a transaction reversed (in full or
//! in part), a payment returned unpaid, a statement corrected. A corrected
//! fact never leaves the log; the correction is a new event that names what
//! it corrects and carries what the folds need of the original (its day, its
//! kind, its amount), so features and balances can honour it without holding
//! every transaction.
//!
//! Each correction has its own id (a repeat is answered as the first time)
//! and names the fact it corrects; the command bus looks both up
//! ([`super::CustomerCommand::lookup_keys`]) so the aggregate can refuse a
//! correction of something that was never recorded.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::commands::keys;
use super::errors::CustomerError;
use super::events::CustomerEvent;
use crate::facts::KnownFacts;
use crate::values::{
    Balance, ExternalId, MerchantCategoryCode, NonNegativeAmount, PositiveAmount, StatementPeriod,
    TransactionKind,
};

/// Why a transaction was reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReversalReason {
    /// The customer disputed it and the bank charged it back to the merchant.
    Chargeback,
    /// The merchant reversed it (cancelled or duplicated authorisation).
    MerchantReversal,
    /// The bank posted it in error.
    PostingError,
}

/// Why a payment came back unpaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// Not enough money in the paying account.
    InsufficientFunds,
    /// The paying account is closed.
    AccountClosed,
    /// The payer stopped or recalled it.
    Stopped,
    /// Any other return code from the payment scheme.
    Other,
}

/// Reverses a recorded transaction, in full or in part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverseTransaction {
    /// The bank's id for this reversal; a repeat is answered as the first time.
    pub reversal_id: ExternalId,
    /// The transaction reversed: must be recorded on this customer.
    pub transaction_id: ExternalId,
    /// How much is reversed, in minor units; all reversals of one
    /// transaction together may not exceed its amount.
    pub amount_minor: PositiveAmount,
    /// Why.
    pub reason: ReversalReason,
    /// When the reversal was made (business time), not before the transaction.
    pub reversed_at: DateTime<Utc>,
}

/// Records that a recorded payment came back unpaid (it bounced).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnPayment {
    /// The payment returned: must be recorded on this customer, and a
    /// payment is returned at most once.
    pub payment_id: ExternalId,
    /// Why.
    pub reason: ReturnReason,
    /// When the return was booked, not before the payment.
    pub returned_at: DateTime<Utc>,
}

/// Replaces the figures of an issued statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectStatement {
    /// The bank's id for this correction; a repeat is answered as the first time.
    pub correction_id: ExternalId,
    /// The statement corrected: must be issued for this customer.
    pub period: StatementPeriod,
    /// The corrected closing balance in minor units; negative when in credit.
    pub closing_balance_minor: Balance,
    /// The corrected minimum due in minor units.
    pub minimum_due_minor: NonNegativeAmount,
    /// The corrected due date, not before the statement was issued.
    pub due_date: NaiveDate,
    /// When the correction was made, not before the statement was issued.
    pub corrected_at: DateTime<Utc>,
}

/// A recorded transaction was reversed (in part when `amount_minor` is less
/// than what was left of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionReversed {
    /// The reversal's id.
    pub reversal_id: ExternalId,
    /// The transaction it reverses.
    pub transaction_id: ExternalId,
    /// Amount reversed now, in minor units.
    pub amount_minor: i64,
    /// Why.
    pub reason: ReversalReason,
    /// When.
    pub reversed_at: DateTime<Utc>,
    /// The reversed transaction's kind (a reversed refund raises the balance).
    pub kind: TransactionKind,
    /// The reversed transaction's merchant category, if any.
    pub merchant_category_code: Option<MerchantCategoryCode>,
    /// When the reversed transaction happened: the day whose spend it lowers.
    pub transaction_occurred_at: DateTime<Utc>,
    /// Whether nothing is left of the transaction after this reversal.
    pub in_full: bool,
}

/// A recorded payment came back unpaid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentReturned {
    /// The payment returned.
    pub payment_id: ExternalId,
    /// Its amount, in minor units (a return is always of the whole payment).
    pub amount_minor: i64,
    /// When the payment had been received.
    pub paid_at: DateTime<Utc>,
    /// Why.
    pub reason: ReturnReason,
    /// When the return was booked.
    pub returned_at: DateTime<Utc>,
}

/// An issued statement's figures were corrected; the figures here replace
/// those of the statement issued at `issued_at` (and of any earlier
/// correction of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementCorrected {
    /// The correction's id.
    pub correction_id: ExternalId,
    /// The statement's period.
    pub period: StatementPeriod,
    /// When the corrected statement was issued.
    pub issued_at: DateTime<Utc>,
    /// Corrected closing balance (negative = in credit).
    pub closing_balance_minor: i64,
    /// Corrected minimum due.
    pub minimum_due_minor: i64,
    /// Corrected due date.
    pub due_date: NaiveDate,
    /// When the correction was made.
    pub corrected_at: DateTime<Utc>,
}

impl ReverseTransaction {
    /// The fact this reversal corrects.
    pub fn corrected_key(&self) -> String {
        keys::transaction(&self.transaction_id)
    }
}

impl ReturnPayment {
    /// The fact this return corrects.
    pub fn corrected_key(&self) -> String {
        keys::payment(&self.payment_id)
    }
}

impl CorrectStatement {
    /// The fact this correction corrects.
    pub fn corrected_key(&self) -> String {
        keys::statement(&self.period)
    }
}

/// Decides a reversal: `reversed_before` is how much of the transaction
/// earlier reversals took.
pub(super) fn decide_reversal(
    opened_at: DateTime<Utc>,
    reversed_before: i64,
    c: ReverseTransaction,
    facts: &KnownFacts,
) -> Result<Option<CustomerEvent>, CustomerError> {
    if let Some(earlier) = facts.get(&keys::reversal(&c.reversal_id)) {
        return match earlier {
            CustomerEvent::TransactionReversed(e)
                if e.transaction_id == c.transaction_id
                    && e.amount_minor == c.amount_minor.minor()
                    && e.reason == c.reason
                    && e.reversed_at == c.reversed_at =>
            {
                Ok(None)
            }
            _ => Err(reused("reversal_id", &c.reversal_id)),
        };
    }
    let Some(CustomerEvent::TransactionRecorded(t)) = facts.get(&c.corrected_key()) else {
        return Err(CustomerError::invalid(
            "transaction_id",
            format!(
                "no transaction {} is recorded for this customer",
                c.transaction_id
            ),
        ));
    };
    not_before(
        c.reversed_at,
        opened_at.max(t.occurred_at),
        "reversed_at",
        "the transaction",
    )?;
    let left = t.amount_minor - reversed_before;
    if c.amount_minor.minor() > left {
        return Err(CustomerError::invalid(
            "amount_minor",
            format!(
                "is more than is left of transaction {} ({left} of {} minor units)",
                c.transaction_id, t.amount_minor
            ),
        ));
    }
    Ok(Some(CustomerEvent::TransactionReversed(
        TransactionReversed {
            in_full: c.amount_minor.minor() == left,
            reversal_id: c.reversal_id,
            transaction_id: c.transaction_id,
            amount_minor: c.amount_minor.minor(),
            reason: c.reason,
            reversed_at: c.reversed_at,
            kind: t.kind,
            merchant_category_code: t.merchant_category_code.clone(),
            transaction_occurred_at: t.occurred_at,
        },
    )))
}

/// Decides a returned payment.
pub(super) fn decide_return(
    opened_at: DateTime<Utc>,
    c: ReturnPayment,
    facts: &KnownFacts,
) -> Result<Option<CustomerEvent>, CustomerError> {
    if let Some(earlier) = facts.get(&keys::payment_return(&c.payment_id)) {
        return match earlier {
            CustomerEvent::PaymentReturned(e)
                if e.reason == c.reason && e.returned_at == c.returned_at =>
            {
                Ok(None)
            }
            _ => Err(CustomerError::invalid(
                "payment_id",
                format!("payment {} was already returned", c.payment_id),
            )),
        };
    }
    let Some(CustomerEvent::PaymentRecorded(p)) = facts.get(&c.corrected_key()) else {
        return Err(CustomerError::invalid(
            "payment_id",
            format!("no payment {} is recorded for this customer", c.payment_id),
        ));
    };
    not_before(
        c.returned_at,
        opened_at.max(p.paid_at),
        "returned_at",
        "the payment",
    )?;
    Ok(Some(CustomerEvent::PaymentReturned(PaymentReturned {
        payment_id: c.payment_id,
        amount_minor: p.amount_minor,
        paid_at: p.paid_at,
        reason: c.reason,
        returned_at: c.returned_at,
    })))
}

/// Decides a statement correction.
pub(super) fn decide_statement_correction(
    c: CorrectStatement,
    facts: &KnownFacts,
) -> Result<Option<CustomerEvent>, CustomerError> {
    if let Some(earlier) = facts.get(&keys::statement_correction(&c.correction_id)) {
        return match earlier {
            CustomerEvent::StatementCorrected(e)
                if e.period == c.period
                    && e.closing_balance_minor == c.closing_balance_minor.minor()
                    && e.minimum_due_minor == c.minimum_due_minor.minor()
                    && e.due_date == c.due_date
                    && e.corrected_at == c.corrected_at =>
            {
                Ok(None)
            }
            _ => Err(reused("correction_id", &c.correction_id)),
        };
    }
    let Some(CustomerEvent::StatementIssued(s)) = facts.get(&c.corrected_key()) else {
        return Err(CustomerError::invalid(
            "period",
            format!("no statement for {} is issued for this customer", c.period),
        ));
    };
    not_before(
        c.corrected_at,
        s.issued_at,
        "corrected_at",
        "the statement was issued",
    )?;
    if c.due_date < s.issued_at.date_naive() {
        return Err(CustomerError::invalid(
            "due_date",
            "must not be before the statement was issued",
        ));
    }
    if c.minimum_due_minor.minor() > c.closing_balance_minor.minor().max(0) {
        return Err(CustomerError::invalid(
            "minimum_due_minor",
            "must not exceed the closing balance",
        ));
    }
    Ok(Some(CustomerEvent::StatementCorrected(
        StatementCorrected {
            correction_id: c.correction_id,
            period: c.period,
            issued_at: s.issued_at,
            closing_balance_minor: c.closing_balance_minor.minor(),
            minimum_due_minor: c.minimum_due_minor.minor(),
            due_date: c.due_date,
            corrected_at: c.corrected_at,
        },
    )))
}

fn reused(field: &'static str, id: &ExternalId) -> CustomerError {
    CustomerError::IdReused {
        field,
        id: id.to_string(),
    }
}

fn not_before(
    at: DateTime<Utc>,
    earliest: DateTime<Utc>,
    field: &'static str,
    what: &str,
) -> Result<(), CustomerError> {
    if at < earliest {
        Err(CustomerError::invalid(
            field,
            format!("must not be before {what} ({})", earliest.to_rfc3339()),
        ))
    } else {
        Ok(())
    }
}
