//! Schemas of the request bodies of domain commands, whose Rust types live
//! in `domain` with value objects of their own (the API documents them
//! here; the domain's `openapi` feature derives only the decision types the
//! audit answers carry). They describe the wire exactly — the same field
//! names, formats and limits the handlers enforce; schemathesis sends what
//! they describe. The forms of ids, phones, currencies, codes and periods
//! are added from the value objects by [`super::constraints`], not written
//! here. Answers are typed where they are built (`http/admin/activity.rs`,
//! `http/admin/risk.rs`, the audit crate's records, …) and are their own
//! schema.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The bank's customer id.
#[derive(ToSchema)]
#[schema(value_type = String, example = "C-1001")]
pub struct CustomerIdDoc(String);

/// `POST /v1/customers`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"customer_id": "C-1001", "name": "Asha Rao", "phone": "+919800000001",
    "credit_limit_minor": 20000000, "currency": "INR", "opened_at": "2026-01-01T00:00:00Z"}))]
pub struct RegisterCustomerBody {
    /// 1-64 of letters, digits, `-`, `_`, `.`, `:`.
    pub customer_id: String,
    /// Name as the bank holds it.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// E.164 mobile number (WhatsApp).
    pub phone: String,
    /// Credit limit in minor units.
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    pub credit_limit_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// When the account opened.
    pub opened_at: DateTime<Utc>,
}

/// `POST /v1/customers/{id}/credit-limit`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"credit_limit_minor": 25000000, "effective_at": "2026-04-01T00:00:00Z"}))]
pub struct ChangeCreditLimitBody {
    /// The new limit in minor units.
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    pub credit_limit_minor: i64,
    /// When it applies.
    pub effective_at: DateTime<Utc>,
}

/// What a transaction did.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKindDoc {
    /// A purchase.
    Purchase,
    /// Cash taken on the card.
    CashWithdrawal,
    /// Money given back.
    Refund,
    /// A fee.
    Fee,
}

/// Where the card was used.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDoc {
    /// At a terminal.
    Pos,
    /// Card not present.
    Online,
    /// At an ATM.
    Atm,
    /// Tap to pay.
    Contactless,
    /// At a branch.
    Bank,
}

/// `POST /v1/customers/{id}/transactions`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"transaction_id": "T-9001", "amount_minor": 125000, "currency": "INR",
    "kind": "purchase", "merchant_category_code": "5411", "merchant_name": "Fresh Mart",
    "channel": "pos", "occurred_at": "2026-03-01T10:00:00Z"}))]
pub struct TransactionBody {
    /// The bank's id; a repeat is answered as the first time.
    pub transaction_id: String,
    /// Positive amount in minor units.
    #[schema(minimum = 1, maximum = 1_000_000_000_000i64)]
    pub amount_minor: i64,
    /// The account's currency.
    pub currency: String,
    /// What it did.
    pub kind: TransactionKindDoc,
    /// ISO 18245 merchant category (required for purchases and refunds).
    pub merchant_category_code: Option<String>,
    /// Merchant name.
    pub merchant_name: Option<String>,
    /// Where.
    pub channel: ChannelDoc,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// One batch item: a transaction with its customer.
#[derive(Serialize, ToSchema)]
pub struct BatchItemDoc {
    /// The customer.
    pub customer_id: String,
    /// The transaction's fields.
    #[serde(flatten)]
    pub transaction: TransactionBody,
}

/// `POST /v1/transactions:batch`.
#[derive(Serialize, ToSchema)]
pub struct BatchBodyDoc {
    /// 1-10,000 transactions.
    #[schema(min_items = 1, max_items = 10000)]
    pub items: Vec<BatchItemDoc>,
}

/// `POST /v1/customers/{id}/statements`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"period": "2026-02", "closing_balance_minor": 4500000,
    "minimum_due_minor": 225000, "due_date": "2026-03-20", "issued_at": "2026-03-01T06:00:00Z"}))]
pub struct StatementBody {
    /// `YYYY-MM`.
    pub period: String,
    /// Closing balance (negative when in credit).
    pub closing_balance_minor: i64,
    /// Minimum due.
    #[schema(minimum = 0)]
    pub minimum_due_minor: i64,
    /// Payment due date.
    pub due_date: NaiveDate,
    /// When it was issued (on or after the period closes).
    pub issued_at: DateTime<Utc>,
}

/// `POST /v1/customers/{id}/payments`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"payment_id": "P-7001", "amount_minor": 225000, "currency": "INR",
    "paid_at": "2026-03-15T09:30:00Z"}))]
pub struct PaymentBody {
    /// The bank's id.
    pub payment_id: String,
    /// Positive amount in minor units.
    #[schema(minimum = 1)]
    pub amount_minor: i64,
    /// The account's currency.
    pub currency: String,
    /// When the money arrived.
    pub paid_at: DateTime<Utc>,
}

/// `POST /v1/customers/{id}/days-past-due`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"days_past_due": 0, "as_of": "2026-03-21T00:00:00Z"}))]
pub struct DaysPastDueBody {
    /// 0-3650.
    #[schema(minimum = 0, maximum = 3650)]
    pub days_past_due: u32,
    /// The moment it is true for.
    pub as_of: DateTime<Utc>,
}

/// Staff sign-in. (The example is the admin account `serve --demo` seeds;
/// no other deployment has it.)
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"username": "admin", "password": "demo-admin-password"}))]
pub struct LoginBody {
    /// User name.
    pub username: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
}

/// Asks for a code.
#[derive(Serialize, ToSchema)]
pub struct OtpRequestBody {
    /// E.164 phone.
    #[schema(example = "+919800000001")]
    pub phone: String,
}

/// Tries a code.
#[derive(Serialize, ToSchema)]
pub struct OtpVerifyBody {
    /// E.164 phone.
    pub phone: String,
    /// The six digits received.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}
