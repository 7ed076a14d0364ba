//! Builders shared by the event-store tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use commands::{CommandBus, Metadata, PgEventStore};
use domain::customer::*;
use domain::values::*;
use domain::Customer;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("timestamp")
        .with_timezone(&Utc)
}

pub fn meta() -> Metadata {
    Metadata::system("test", uuid::Uuid::new_v4().to_string())
}

pub fn bus(pool: &sqlx::PgPool) -> CommandBus<Customer> {
    CommandBus::new(PgEventStore::new(pool.clone()))
}

pub fn addressed(id: &str, command: CustomerCommand) -> Addressed {
    Addressed {
        customer_id: CustomerId::parse(id).expect("id"),
        command,
    }
}

pub fn register() -> CustomerCommand {
    CustomerCommand::RegisterCustomer(RegisterCustomer {
        name: CustomerName::parse("Asha Rao").expect("name"),
        phone: PhoneNumber::parse("+919800000001").expect("phone"),
        credit_limit_minor: NonNegativeAmount::parse(10_000_000).expect("limit"),
        currency: Currency::parse("INR").expect("currency"),
        opened_at: at("2026-01-01T00:00:00Z"),
    })
}

pub fn purchase(txn: &str, amount: i64, minutes: i64) -> CustomerCommand {
    CustomerCommand::RecordTransaction(RecordTransaction {
        transaction_id: ExternalId::parse(txn).expect("txn id"),
        amount_minor: PositiveAmount::parse(amount).expect("amount"),
        currency: Currency::parse("INR").expect("currency"),
        kind: TransactionKind::Purchase,
        merchant_category_code: Some(MerchantCategoryCode::parse("5411").expect("mcc")),
        merchant_name: None,
        channel: Channel::Pos,
        occurred_at: at("2026-01-02T00:00:00Z") + Duration::minutes(minutes),
    })
}
