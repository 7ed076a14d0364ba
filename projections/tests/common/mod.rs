//! A deterministic little portfolio written through the real command bus.
#![allow(dead_code)]

use domain::customer::{Addressed, CustomerCommand};
use domain::values::CustomerId;
use domain::Customer;
use serde_json::json;
use store::{CommandBus, Metadata, PgEventStore};

pub fn bus(pool: &sqlx::PgPool) -> CommandBus<Customer> {
    CommandBus::new(PgEventStore::new(pool.clone()))
}

/// One customer's command from its JSON form.
pub fn command(id: &str, value: serde_json::Value) -> (String, Addressed) {
    let command: CustomerCommand = serde_json::from_value(value).expect("valid command");
    (
        id.to_owned(),
        Addressed {
            customer_id: CustomerId::parse(id).expect("id"),
            command,
        },
    )
}

/// `customers` customers with three months of mixed activity each.
pub fn portfolio(customers: usize) -> Vec<(String, Addressed)> {
    let mut out = Vec::new();
    for c in 0..customers {
        let id = format!("P{c:03}");
        out.push(command(
            &id,
            json!({"command": "register_customer", "data": {
            "name": format!("Customer {c}"), "phone": format!("+9198{c:08}"),
            "credit_limit_minor": 100_000 + 10_000 * (c as i64 % 7), "currency": "INR",
            "opened_at": "2026-01-01T00:00:00Z"}}),
        ));
        let mut balance = 0i64;
        for month in 1..=3u32 {
            for day in [2u32, 9, 16, 23] {
                let n = (c as u32 * 31 + month * 7 + day) % 11;
                let (kind, mcc, channel) = match n {
                    0 | 1 => ("cash_withdrawal", serde_json::Value::Null, "atm"),
                    2 => ("refund", json!("5999"), "online"),
                    3 => ("fee", serde_json::Value::Null, "bank"),
                    4..=6 => ("purchase", json!("5411"), "pos"),
                    _ => ("purchase", json!("5812"), "contactless"),
                };
                let amount = 1_000 + i64::from(n) * 733 + c as i64 * 17;
                balance += if kind == "refund" { -amount } else { amount };
                out.push(command(&id, json!({"command": "record_transaction", "data": {
                    "transaction_id": format!("{id}-{month}-{day}"), "amount_minor": amount, "currency": "INR",
                    "kind": kind, "merchant_category_code": mcc, "channel": channel,
                    "occurred_at": format!("2026-{month:02}-{day:02}T12:00:00Z")}})));
                // Some grocery purchases are half reversed the next day.
                if n == 5 {
                    balance -= amount / 2;
                    out.push(command(
                        &id,
                        json!({"command": "reverse_transaction", "data": {
                        "reversal_id": format!("{id}-{month}-{day}-R"),
                        "transaction_id": format!("{id}-{month}-{day}"), "amount_minor": amount / 2,
                        "reason": "merchant_reversal",
                        "reversed_at": format!("2026-{month:02}-{:02}T08:00:00Z", day + 1)}}),
                    ));
                }
            }
            let closing = balance.max(0);
            out.push(command(
                &id,
                json!({"command": "issue_statement", "data": {
                "period": format!("2026-{month:02}"), "closing_balance_minor": closing,
                "minimum_due_minor": closing / 20, "due_date": format!("2026-{:02}-20", month + 1),
                "issued_at": format!("2026-{:02}-01T01:00:00Z", month + 1)}}),
            ));
            // Some first statements are corrected the next day: a lower
            // minimum, two more days to pay.
            if c % 4 == 2 && month == 1 {
                out.push(command(
                    &id,
                    json!({"command": "correct_statement", "data": {
                    "correction_id": format!("{id}-SC{month}"), "period": format!("2026-{month:02}"),
                    "closing_balance_minor": closing, "minimum_due_minor": closing / 25,
                    "due_date": format!("2026-{:02}-22", month + 1),
                    "corrected_at": format!("2026-{:02}-02T10:00:00Z", month + 1)}}),
                ));
            }
            if c % 3 != 0 && closing > 0 {
                let paid = if c % 3 == 1 {
                    closing
                } else {
                    (closing / 20).max(1)
                };
                balance -= paid;
                out.push(command(
                    &id,
                    json!({"command": "record_payment", "data": {
                    "payment_id": format!("{id}-P{month}"), "amount_minor": paid, "currency": "INR",
                    "paid_at": format!("2026-{:02}-15T09:00:00Z", month + 1)}}),
                ));
                // Some second-month payments bounce two days later.
                if c % 5 == 1 && month == 2 {
                    balance += paid;
                    out.push(command(
                        &id,
                        json!({"command": "return_payment", "data": {
                        "payment_id": format!("{id}-P{month}"), "reason": "insufficient_funds",
                        "returned_at": format!("2026-{:02}-17T06:00:00Z", month + 1)}}),
                    ));
                }
            } else if c % 3 == 0 {
                out.push(command(&id, json!({"command": "report_days_past_due", "data": {
                    "days_past_due": 10 * month, "as_of": format!("2026-{:02}-25T00:00:00Z", month + 1)}})));
            }
        }
    }
    out
}

pub async fn write(bus: &CommandBus<Customer>, items: Vec<(String, Addressed)>) -> i64 {
    for chunk in items.chunks(200) {
        let out = bus
            .execute_batch(chunk.to_vec(), &Metadata::system("test", "seed"))
            .await
            .expect("batch");
        for o in out {
            assert!(
                !matches!(o, store::batch::ItemOutcome::Rejected(_)),
                "seed data refused: {o:?}"
            );
        }
    }
    sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(bus.store().pool())
        .await
        .expect("head")
}

/// The content of a table as one ordered text (for equality checks).
pub async fn dump(pool: &sqlx::PgPool, table: &str, order: &str) -> String {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '') FROM {table} t"
    ))
    .fetch_one(pool)
    .await
    .expect("dump")
}

/// A customer's whole history and the time of its latest event (the as-of
/// the projections compute features at).
pub async fn history(
    store: &PgEventStore<Customer>,
    id: &str,
) -> (Vec<domain::CustomerEvent>, chrono::DateTime<chrono::Utc>) {
    let events: Vec<domain::CustomerEvent> = store
        .stream_events(id)
        .await
        .expect("history")
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let as_of = events
        .iter()
        .map(domain::CustomerEvent::occurred_at)
        .max()
        .expect("events");
    (events, as_of)
}
