//! Events on a customer's stream. Payloads are versioned through
//! [`DomainEvent::event_version`]; a change of shape gets a new version and an
//! upcaster, never an edit of stored history.

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::commands::keys;
use crate::values::{
    Channel, Currency, CustomerId, CustomerName, ExternalId, MerchantCategoryCode, MerchantName,
    PhoneNumber, StatementPeriod, TransactionKind,
};

/// The card account was opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerRegistered {
    /// The bank's id for the customer (also the stream id).
    pub customer_id: CustomerId,
    /// Name as the bank holds it.
    pub name: CustomerName,
    /// Mobile number (E.164).
    pub phone: PhoneNumber,
    /// Credit limit in minor units.
    pub credit_limit_minor: i64,
    /// Account currency.
    pub currency: Currency,
    /// When the account was opened.
    pub opened_at: DateTime<Utc>,
}

/// The credit limit changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditLimitChanged {
    /// The limit before, in minor units.
    pub previous_limit_minor: i64,
    /// The new limit, in minor units.
    pub credit_limit_minor: i64,
    /// When the new limit applies.
    pub effective_at: DateTime<Utc>,
}

/// A card transaction was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionRecorded {
    /// The bank's transaction id.
    pub transaction_id: ExternalId,
    /// Amount in minor units (positive; `kind` gives the direction).
    pub amount_minor: i64,
    /// Currency (the account's).
    pub currency: Currency,
    /// Purchase, cash withdrawal, refund or fee.
    pub kind: TransactionKind,
    /// Merchant category, when there is a merchant.
    pub merchant_category_code: Option<MerchantCategoryCode>,
    /// Merchant name, when there is a merchant.
    pub merchant_name: Option<MerchantName>,
    /// Where the card was used.
    pub channel: Channel,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// A monthly statement was issued.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementIssued {
    /// The month covered.
    pub period: StatementPeriod,
    /// Closing balance in minor units (negative = in credit).
    pub closing_balance_minor: i64,
    /// Minimum due in minor units.
    pub minimum_due_minor: i64,
    /// Payment due date.
    pub due_date: NaiveDate,
    /// When it was produced.
    pub issued_at: DateTime<Utc>,
}

/// A payment was received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRecorded {
    /// The bank's payment id.
    pub payment_id: ExternalId,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency (the account's).
    pub currency: Currency,
    /// When the money arrived.
    pub paid_at: DateTime<Utc>,
}

/// The bank reported the account's days past due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaysPastDueReported {
    /// Days past due (0 = current).
    pub days_past_due: u32,
    /// The moment the figure is true for.
    pub as_of: DateTime<Utc>,
}

/// Every event a customer's stream can hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CustomerEvent {
    /// See [`CustomerRegistered`].
    CustomerRegistered(CustomerRegistered),
    /// See [`CreditLimitChanged`].
    CreditLimitChanged(CreditLimitChanged),
    /// See [`TransactionRecorded`].
    TransactionRecorded(TransactionRecorded),
    /// See [`StatementIssued`].
    StatementIssued(StatementIssued),
    /// See [`PaymentRecorded`].
    PaymentRecorded(PaymentRecorded),
    /// See [`DaysPastDueReported`].
    DaysPastDueReported(DaysPastDueReported),
    /// See [`super::TransactionReversed`].
    TransactionReversed(super::TransactionReversed),
    /// See [`super::PaymentReturned`].
    PaymentReturned(super::PaymentReturned),
    /// See [`super::StatementCorrected`].
    StatementCorrected(super::StatementCorrected),
    /// See [`super::RiskAssessed`].
    RiskAssessed(Box<super::RiskAssessed>),
    /// See [`super::AlertRaised`].
    AlertRaised(Box<super::AlertRaised>),
    /// See [`super::AlertSuppressed`].
    AlertSuppressed(Box<super::AlertSuppressed>),
    /// See [`super::AlertSent`].
    AlertSent(Box<super::AlertSent>),
    /// See [`super::AlertFailed`].
    AlertFailed(Box<super::AlertFailed>),
    /// See [`super::AlertDeliveryUpdated`].
    AlertDeliveryUpdated(Box<super::AlertDeliveryUpdated>),
}

/// The stored types of the events that are behaviour
/// ([`CustomerEvent::is_behaviour`]), for readers that select by type.
pub const BEHAVIOUR_EVENT_TYPES: [&str; 9] = [
    "CustomerRegistered",
    "CreditLimitChanged",
    "TransactionRecorded",
    "StatementIssued",
    "PaymentRecorded",
    "DaysPastDueReported",
    "TransactionReversed",
    "PaymentReturned",
    "StatementCorrected",
];

impl CustomerEvent {
    /// The key that is unique per stream for this kind of fact (a transaction
    /// id, a payment id, a statement period). The event store enforces it with
    /// a unique index, so even a race cannot record the same fact twice.
    pub fn dedup_key(&self) -> Option<String> {
        match self {
            Self::TransactionRecorded(e) => Some(keys::transaction(&e.transaction_id)),
            Self::PaymentRecorded(e) => Some(keys::payment(&e.payment_id)),
            Self::StatementIssued(e) => Some(keys::statement(&e.period)),
            Self::DaysPastDueReported(e) => Some(keys::days_past_due(&e.as_of)),
            Self::RiskAssessed(e) => Some(keys::decision(&e.assessment.decision_id)),
            Self::TransactionReversed(e) => Some(keys::reversal(&e.reversal_id)),
            Self::PaymentReturned(e) => Some(keys::payment_return(&e.payment_id)),
            Self::StatementCorrected(e) => Some(keys::statement_correction(&e.correction_id)),
            // Alert reports are deduplicated by the aggregate's alert book:
            // a repeat may differ in detail (a retry's timestamp) yet be the
            // same fact.
            Self::CustomerRegistered(_)
            | Self::CreditLimitChanged(_)
            | Self::AlertRaised(_)
            | Self::AlertSuppressed(_)
            | Self::AlertSent(_)
            | Self::AlertFailed(_)
            | Self::AlertDeliveryUpdated(_) => None,
        }
    }

    /// Whether the event is the customer's behaviour (what features are made
    /// of) rather than the bank's reaction to it (decisions, alerts). Only
    /// behaviour is folded into features or counts as activity, so recording
    /// a decision or an alert can never change the features it was based on.
    pub fn is_behaviour(&self) -> bool {
        matches!(
            self,
            Self::CustomerRegistered(_)
                | Self::CreditLimitChanged(_)
                | Self::TransactionRecorded(_)
                | Self::StatementIssued(_)
                | Self::PaymentRecorded(_)
                | Self::DaysPastDueReported(_)
                | Self::TransactionReversed(_)
                | Self::PaymentReturned(_)
                | Self::StatementCorrected(_)
        )
    }

    /// When the fact happened in the bank's world (business time).
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::CustomerRegistered(e) => e.opened_at,
            Self::CreditLimitChanged(e) => e.effective_at,
            Self::TransactionRecorded(e) => e.occurred_at,
            Self::StatementIssued(e) => e.issued_at,
            Self::PaymentRecorded(e) => e.paid_at,
            Self::DaysPastDueReported(e) => e.as_of,
            Self::TransactionReversed(e) => e.reversed_at,
            Self::PaymentReturned(e) => e.returned_at,
            Self::StatementCorrected(e) => e.corrected_at,
            Self::RiskAssessed(e) => e.assessment.as_of,
            Self::AlertRaised(e) => e.raised_at,
            Self::AlertSuppressed(e) => e.raised_at,
            Self::AlertSent(e) => e.sent_at,
            Self::AlertFailed(e) => e.failed_at,
            Self::AlertDeliveryUpdated(e) => e.reported_at,
        }
    }
}

impl DomainEvent for CustomerEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CustomerRegistered(_) => "CustomerRegistered",
            Self::CreditLimitChanged(_) => "CreditLimitChanged",
            Self::TransactionRecorded(_) => "TransactionRecorded",
            Self::StatementIssued(_) => "StatementIssued",
            Self::PaymentRecorded(_) => "PaymentRecorded",
            Self::DaysPastDueReported(_) => "DaysPastDueReported",
            Self::TransactionReversed(_) => "TransactionReversed",
            Self::PaymentReturned(_) => "PaymentReturned",
            Self::StatementCorrected(_) => "StatementCorrected",
            Self::RiskAssessed(_) => "RiskAssessed",
            Self::AlertRaised(_) => "AlertRaised",
            Self::AlertSuppressed(_) => "AlertSuppressed",
            Self::AlertSent(_) => "AlertSent",
            Self::AlertFailed(_) => "AlertFailed",
            Self::AlertDeliveryUpdated(_) => "AlertDeliveryUpdated",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
