//! Commands a customer's stream accepts. The aggregate id (the customer id)
//! travels beside the command, as with cqrs-es's `execute(id, command)`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::errors::CustomerError;

use crate::values::{
    Balance, Channel, Currency, CustomerName, ExternalId, MerchantCategoryCode, MerchantName,
    NonNegativeAmount, PhoneNumber, PositiveAmount, StatementPeriod, TransactionKind,
};

/// Opens a card account for a customer the bank has onboarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterCustomer {
    /// Name as the bank holds it.
    pub name: CustomerName,
    /// Mobile number (E.164) used for WhatsApp alerts and login.
    pub phone: PhoneNumber,
    /// Credit limit in minor units.
    pub credit_limit_minor: NonNegativeAmount,
    /// The account's currency (ISO 4217).
    pub currency: Currency,
    /// When the account was opened; nothing may happen before.
    pub opened_at: DateTime<Utc>,
}

/// Sets a new credit limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeCreditLimit {
    /// The new limit in minor units.
    pub credit_limit_minor: NonNegativeAmount,
    /// When the new limit applies.
    pub effective_at: DateTime<Utc>,
}

/// Records one card transaction the bank has authorised or posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTransaction {
    /// The bank's transaction id; a repeat is answered as the first time.
    pub transaction_id: ExternalId,
    /// Amount in minor units, always positive: `kind` says the direction.
    pub amount_minor: PositiveAmount,
    /// Must be the account's currency.
    pub currency: Currency,
    /// Purchase, cash withdrawal, refund or fee.
    pub kind: TransactionKind,
    /// ISO 18245 merchant category; required for purchases and refunds.
    #[serde(default)]
    pub merchant_category_code: Option<MerchantCategoryCode>,
    /// Merchant name as printed on the statement.
    #[serde(default)]
    pub merchant_name: Option<MerchantName>,
    /// Where the card was used.
    pub channel: Channel,
    /// When the transaction happened (business time, not arrival time).
    pub occurred_at: DateTime<Utc>,
}

/// Issues the monthly statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueStatement {
    /// The month the statement covers.
    pub period: StatementPeriod,
    /// Balance at close in minor units; negative when in credit.
    pub closing_balance_minor: Balance,
    /// Minimum payment due in minor units.
    pub minimum_due_minor: NonNegativeAmount,
    /// Last day to pay without being past due.
    pub due_date: NaiveDate,
    /// When the statement was produced.
    pub issued_at: DateTime<Utc>,
}

/// Records a payment towards the card balance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// The bank's payment id; a repeat is answered as the first time.
    pub payment_id: ExternalId,
    /// Amount in minor units.
    pub amount_minor: PositiveAmount,
    /// Must be the account's currency.
    pub currency: Currency,
    /// When the money arrived.
    pub paid_at: DateTime<Utc>,
}

/// Most days past due: reported by the bank's collections system, so that
/// delinquency is a recorded fact and not a guess.
pub const MAX_DAYS_PAST_DUE: u32 = 3650;

/// Reports how many days past due the account is as of a moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportDaysPastDue {
    /// Days past due (0 = current), at most [`MAX_DAYS_PAST_DUE`].
    pub days_past_due: u32,
    /// The moment the figure is true for.
    pub as_of: DateTime<Utc>,
}

/// Everything a customer's stream accepts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", content = "data", rename_all = "snake_case")]
pub enum CustomerCommand {
    /// See [`RegisterCustomer`].
    RegisterCustomer(RegisterCustomer),
    /// See [`ChangeCreditLimit`].
    ChangeCreditLimit(ChangeCreditLimit),
    /// See [`RecordTransaction`].
    RecordTransaction(RecordTransaction),
    /// See [`IssueStatement`].
    IssueStatement(IssueStatement),
    /// See [`RecordPayment`].
    RecordPayment(RecordPayment),
    /// See [`ReportDaysPastDue`].
    ReportDaysPastDue(ReportDaysPastDue),
    /// See [`super::ReverseTransaction`].
    ReverseTransaction(super::ReverseTransaction),
    /// See [`super::ReturnPayment`].
    ReturnPayment(super::ReturnPayment),
    /// See [`super::CorrectStatement`].
    CorrectStatement(super::CorrectStatement),
    /// See [`super::RecordRiskAssessment`].
    RecordRiskAssessment(Box<super::RecordRiskAssessment>),
    /// See [`super::RaiseAlert`].
    RaiseAlert(Box<super::RaiseAlert>),
    /// Records an accepted send: see [`super::AlertSent`].
    RecordAlertSent(Box<super::AlertSent>),
    /// Records a send given up: see [`super::AlertFailed`].
    RecordAlertFailed(Box<super::AlertFailed>),
    /// Records a delivery status: see [`super::AlertDeliveryUpdated`].
    RecordAlertDelivery(Box<super::AlertDeliveryUpdated>),
}

impl CustomerCommand {
    /// The key under which the fact this command would record is unique on
    /// the stream, if it has one (see [`crate::CustomerEvent::dedup_key`]).
    pub fn dedup_key(&self) -> Option<String> {
        match self {
            Self::RecordTransaction(c) => Some(keys::transaction(&c.transaction_id)),
            Self::RecordPayment(c) => Some(keys::payment(&c.payment_id)),
            Self::IssueStatement(c) => Some(keys::statement(&c.period)),
            Self::ReportDaysPastDue(c) => Some(keys::days_past_due(&c.as_of)),
            Self::RecordRiskAssessment(c) => Some(keys::decision(&c.decision_id)),
            Self::ReverseTransaction(c) => Some(keys::reversal(&c.reversal_id)),
            Self::ReturnPayment(c) => Some(keys::payment_return(&c.payment_id)),
            Self::CorrectStatement(c) => Some(keys::statement_correction(&c.correction_id)),
            Self::RegisterCustomer(_)
            | Self::ChangeCreditLimit(_)
            | Self::RaiseAlert(_)
            | Self::RecordAlertSent(_)
            | Self::RecordAlertFailed(_)
            | Self::RecordAlertDelivery(_) => None,
        }
    }

    /// Every key the command bus must look up before deciding: the
    /// command's own ([`Self::dedup_key`]) and, for a correction, the key of
    /// the fact it corrects.
    pub fn lookup_keys(&self) -> Vec<String> {
        let corrected = match self {
            Self::ReverseTransaction(c) => Some(c.corrected_key()),
            Self::ReturnPayment(c) => Some(c.corrected_key()),
            Self::CorrectStatement(c) => Some(c.corrected_key()),
            _ => None,
        };
        self.dedup_key().into_iter().chain(corrected).collect()
    }

    /// When the fact this command reports happened (business time).
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::ReverseTransaction(c) => c.reversed_at,
            Self::ReturnPayment(c) => c.returned_at,
            Self::CorrectStatement(c) => c.corrected_at,
            Self::RegisterCustomer(c) => c.opened_at,
            Self::ChangeCreditLimit(c) => c.effective_at,
            Self::RecordTransaction(c) => c.occurred_at,
            Self::IssueStatement(c) => c.issued_at,
            Self::RecordPayment(c) => c.paid_at,
            Self::ReportDaysPastDue(c) => c.as_of,
            Self::RecordRiskAssessment(c) => c.as_of,
            Self::RaiseAlert(c) => c.raised_at,
            Self::RecordAlertSent(c) => c.sent_at,
            Self::RecordAlertFailed(c) => c.failed_at,
            Self::RecordAlertDelivery(c) => c.reported_at,
        }
    }
}

impl CustomerCommand {
    /// The business time of a fact the bank's systems report, with its field
    /// name (`opened_at`, `effective_at`, `occurred_at`, `issued_at`,
    /// `paid_at`, `as_of`, `reversed_at`, `returned_at`, `corrected_at`); none for what the system records itself
    /// (decisions, alerts). A statement's due date is not checked: it is
    /// normally in the future.
    pub fn reported_time(&self) -> Option<(&'static str, DateTime<Utc>)> {
        match self {
            Self::RegisterCustomer(c) => Some(("opened_at", c.opened_at)),
            Self::ChangeCreditLimit(c) => Some(("effective_at", c.effective_at)),
            Self::RecordTransaction(c) => Some(("occurred_at", c.occurred_at)),
            Self::IssueStatement(c) => Some(("issued_at", c.issued_at)),
            Self::RecordPayment(c) => Some(("paid_at", c.paid_at)),
            Self::ReportDaysPastDue(c) => Some(("as_of", c.as_of)),
            Self::ReverseTransaction(c) => Some(("reversed_at", c.reversed_at)),
            Self::ReturnPayment(c) => Some(("returned_at", c.returned_at)),
            Self::CorrectStatement(c) => Some(("corrected_at", c.corrected_at)),
            _ => None,
        }
    }

    /// Refuses a reported fact dated more than `skew` after `now` (the clock
    /// read at the edge and handed in): a fact from the future would make
    /// every later feature be computed as of that future.
    pub fn check_not_future(
        &self,
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) -> Result<(), CustomerError> {
        match self.reported_time() {
            Some((field, at)) if at > now + skew => Err(CustomerError::invalid(
                field,
                format!(
                    "is in the future ({} is more than {} s after the server's clock, {})",
                    at.to_rfc3339(),
                    skew.num_seconds(),
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Deduplication keys, shared by commands and events so they cannot drift.
pub(crate) mod keys {
    use chrono::{DateTime, SecondsFormat, Utc};

    use crate::values::{ExternalId, StatementPeriod};

    pub fn transaction(id: &ExternalId) -> String {
        format!("transaction:{id}")
    }
    pub fn payment(id: &ExternalId) -> String {
        format!("payment:{id}")
    }
    pub fn statement(period: &StatementPeriod) -> String {
        format!("statement:{period}")
    }
    pub fn reversal(id: &ExternalId) -> String {
        format!("reversal:{id}")
    }
    pub fn payment_return(payment_id: &ExternalId) -> String {
        format!("payment_return:{payment_id}")
    }
    pub fn statement_correction(id: &ExternalId) -> String {
        format!("statement_correction:{id}")
    }
    pub fn decision(id: &str) -> String {
        format!("decision:{id}")
    }
    pub fn days_past_due(as_of: &DateTime<Utc>) -> String {
        format!("dpd:{}", as_of.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}
