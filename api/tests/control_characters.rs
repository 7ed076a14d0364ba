//! Control characters in every string field of every route that takes a
//! JSON body: a NUL (which PostgreSQL's jsonb cannot store), an escape and a
//! C1 control are each a 422 naming the field, and nothing is stored; a
//! newline in a staff note is kept.

mod common;

use api::auth::Role;
use common::*;
use serde_json::{json, Value};

/// Each route, a valid body, and who may call it.
fn routes() -> Vec<(&'static str, Value, Role)> {
    let mut item = transaction("T-B", 100);
    item["customer_id"] = json!("C-1");
    vec![
        ("/v1/customers", registration("C-2"), Role::Ingest),
        (
            "/v1/customers/C-1/transactions",
            transaction("T-1", 100),
            Role::Ingest,
        ),
        (
            "/v1/customers/C-1/statements",
            json!({"period": "2026-01", "closing_balance_minor": 1000, "minimum_due_minor": 100,
                   "due_date": "2026-02-20", "issued_at": "2026-02-01T02:00:00Z"}),
            Role::Ingest,
        ),
        (
            "/v1/customers/C-1/payments",
            json!({"payment_id": "P-1", "amount_minor": 500, "currency": "INR",
                   "paid_at": "2026-02-10T00:00:00Z"}),
            Role::Ingest,
        ),
        (
            "/v1/customers/C-1/days-past-due",
            json!({"days_past_due": 3, "as_of": "2026-02-23T00:00:00Z"}),
            Role::Ingest,
        ),
        (
            "/v1/customers/C-1/credit-limit",
            json!({"credit_limit_minor": 5_000_000, "effective_at": "2026-02-01T00:00:00Z"}),
            Role::Ingest,
        ),
        (
            "/v1/transactions:batch",
            json!({"items": [item]}),
            Role::Ingest,
        ),
        (
            "/v1/admin/customers/C-1/alerts",
            json!({"reason": "called the customer"}),
            Role::Admin,
        ),
        (
            "/v1/auth/login",
            json!({"username": "admin", "password": "secret"}),
            Role::Admin,
        ),
        (
            "/v1/auth/otp/request",
            json!({"phone": "+919800000001"}),
            Role::Admin,
        ),
        (
            "/v1/auth/otp/verify",
            json!({"phone": "+919800000001", "code": "123456"}),
            Role::Admin,
        ),
    ]
}

/// The paths of the string fields of `v` (`items[0].currency`).
fn string_fields(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(path.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                string_fields(item, &p, out);
            }
        }
        _ => {}
    }
}

fn set(v: &mut Value, path: &str, to: &str) {
    let mut cur = v;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        cur = &mut cur[key];
        if let Some(i) = index {
            cur = &mut cur[i];
        }
    }
    let old = cur.as_str().unwrap_or_default().to_owned();
    *cur = json!(format!("{old}{to}"));
}

#[tokio::test]
async fn a_control_character_in_any_string_field_is_a_422_naming_it_and_stores_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        app.post("/v1/customers", &registration("C-1"))
            .await
            .status(),
        201
    );
    let client = reqwest::Client::new();
    let mut checked = 0;
    for (route, body, role) in routes() {
        let token = app
            .tokens
            .issue("tester", role, chrono::Utc::now().timestamp());
        let mut fields = Vec::new();
        string_fields(&body, "", &mut fields);
        assert!(!fields.is_empty(), "{route}");
        for field in fields {
            for bad in ["\u{0}", "\u{1b}[31m", "\u{85}"] {
                let mut spoiled = body.clone();
                set(&mut spoiled, &field, bad);
                let before = app.event_count().await;
                let r = client
                    .post(format!("{}{route}", app.base))
                    .bearer_auth(&token)
                    .json(&spoiled)
                    .send()
                    .await
                    .expect("post");
                let status = r.status().as_u16();
                let problem: Value = r.json().await.unwrap_or(Value::Null);
                assert_eq!(status, 422, "{route} {field} {bad:?}: {problem}");
                let named: Vec<&str> = problem["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["field"].as_str())
                    .collect();
                assert_eq!(named, [field.as_str()], "{route} {bad:?}: {problem}");
                assert_eq!(
                    app.event_count().await,
                    before,
                    "{route} {field}: nothing stored"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "{checked} cases checked");
    println!("control characters: {checked} cases (fields x characters) refused with a 422 naming the field");

    // A newline in a staff note is free text, and is kept.
    let admin = app
        .tokens
        .issue("alice", Role::Admin, chrono::Utc::now().timestamp());
    let r = client
        .post(format!("{}/v1/admin/customers/C-1/alerts", app.base))
        .bearer_auth(&admin)
        .json(&json!({"reason": "called:\nsalary delayed"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 202);
}
