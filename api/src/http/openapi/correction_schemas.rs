//! The request bodies of corrections as the API description shows them
//! (the handlers read them into `domain::customer`'s commands, which refuse
//! unknown fields; the constraints modifier adds the id forms).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Why a transaction was reversed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReversalReason)]
pub enum ReversalReasonDoc {
    /// Disputed and charged back to the merchant.
    Chargeback,
    /// Reversed by the merchant.
    MerchantReversal,
    /// Posted by the bank in error.
    PostingError,
}

/// Why a payment came back unpaid.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReturnReason)]
pub enum ReturnReasonDoc {
    /// Not enough money in the paying account.
    InsufficientFunds,
    /// The paying account is closed.
    AccountClosed,
    /// Stopped or recalled by the payer.
    Stopped,
    /// Any other return code.
    Other,
}

/// `POST /v1/customers/{id}/reversals`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"reversal_id": "R-9001", "transaction_id": "T-9001",
    "amount_minor": 25000, "reason": "chargeback", "reversed_at": "2026-03-04T10:00:00Z"}))]
pub struct ReversalBody {
    /// The bank's id for the reversal; a repeat is answered as the first time.
    pub reversal_id: String,
    /// The transaction reversed (recorded for this customer).
    pub transaction_id: String,
    /// Amount reversed; all reversals of a transaction at most its amount.
    #[schema(minimum = 1, maximum = 1_000_000_000_000i64)]
    pub amount_minor: i64,
    /// Why.
    pub reason: ReversalReasonDoc,
    /// When (not before the transaction).
    pub reversed_at: DateTime<Utc>,
}

/// `POST /v1/customers/{id}/payment-returns`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"payment_id": "P-9001", "reason": "insufficient_funds",
    "returned_at": "2026-03-18T06:00:00Z"}))]
pub struct PaymentReturnBody {
    /// The payment returned (recorded for this customer; returned at most once).
    pub payment_id: String,
    /// Why.
    pub reason: ReturnReasonDoc,
    /// When the return was booked (not before the payment).
    pub returned_at: DateTime<Utc>,
}

/// `POST /v1/customers/{id}/statement-corrections`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"correction_id": "SC-9001", "period": "2026-02",
    "closing_balance_minor": 4400000, "minimum_due_minor": 220000, "due_date": "2026-03-22",
    "corrected_at": "2026-03-02T09:00:00Z"}))]
pub struct StatementCorrectionBody {
    /// The bank's id for the correction; a repeat is answered as the first time.
    pub correction_id: String,
    /// The statement corrected (issued for this customer).
    pub period: String,
    /// Corrected closing balance (negative when in credit).
    #[schema(minimum = -1_000_000_000_000i64, maximum = 1_000_000_000_000i64)]
    pub closing_balance_minor: i64,
    /// Corrected minimum due, at most the closing balance.
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    pub minimum_due_minor: i64,
    /// Corrected due date (not before the statement was issued).
    pub due_date: NaiveDate,
    /// When the correction was made (not before the statement was issued).
    pub corrected_at: DateTime<Utc>,
}

/// `reverse_transaction`: the item has [`ReversalBody`]'s fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReverseCommandDoc {
    /// The only value.
    ReverseTransaction,
}

/// `return_payment`: the item has [`PaymentReturnBody`]'s fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCommandDoc {
    /// The only value.
    ReturnPayment,
}

/// `correct_statement`: the item has [`StatementCorrectionBody`]'s fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectCommandDoc {
    /// The only value.
    CorrectStatement,
}

/// A `reverse_transaction` item of a corrections batch.
#[derive(Serialize, ToSchema)]
pub struct ReversalItemDoc {
    /// `reverse_transaction`.
    pub command: ReverseCommandDoc,
    /// The customer.
    pub customer_id: String,
    /// The fields.
    #[serde(flatten)]
    pub body: ReversalBody,
}

/// A `return_payment` item of a corrections batch.
#[derive(Serialize, ToSchema)]
pub struct ReturnItemDoc {
    /// `return_payment`.
    pub command: ReturnCommandDoc,
    /// The customer.
    pub customer_id: String,
    /// The fields.
    #[serde(flatten)]
    pub body: PaymentReturnBody,
}

/// A `correct_statement` item of a corrections batch.
#[derive(Serialize, ToSchema)]
pub struct StatementItemDoc {
    /// `correct_statement`.
    pub command: CorrectCommandDoc,
    /// The customer.
    pub customer_id: String,
    /// The fields.
    #[serde(flatten)]
    pub body: StatementCorrectionBody,
}

/// One correction batch item: `command`, `customer_id` and the command's
/// fields (those of the matching single-correction body).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CorrectionItemDoc {
    /// A reversal.
    Reversal(ReversalItemDoc),
    /// A returned payment.
    Return(ReturnItemDoc),
    /// A statement correction.
    Statement(StatementItemDoc),
}

/// `POST /v1/corrections:batch`.
#[derive(Serialize, ToSchema)]
pub struct CorrectionsBatchDoc {
    /// 1-10,000 corrections of any customers.
    #[schema(min_items = 1, max_items = 10000)]
    pub items: Vec<CorrectionItemDoc>,
}
