//! The ingest API over HTTP against a real PostgreSQL: happy paths, repeats,
//! and every kind of bad input getting a problem-details 4xx that stores
//! nothing.

mod common;

use common::*;
use serde_json::{json, Value};

async fn problem(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json", "errors are problem details");
    (status, resp.json().await.expect("json body"))
}

fn first_field(p: &Value) -> &str {
    p["errors"][0]["field"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn registering_and_recording_a_transaction() {
    let app = spawn_app().await;
    app.register("C1").await;
    let resp = app
        .post("/v1/customers/C1/transactions", &transaction("T1", 12_500))
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body, json!({"customer_id": "C1", "sequence": 2}));
    let stored: Value = sqlx::query_scalar("SELECT payload FROM events WHERE sequence = 2")
        .fetch_one(&app.db.pool)
        .await
        .expect("stored");
    assert_eq!(stored["TransactionRecorded"]["amount_minor"], 12_500);
}

#[tokio::test]
async fn a_repeated_request_is_answered_as_the_first_and_stored_once() {
    let app = spawn_app().await;
    app.register("C1").await;
    let again = app.post("/v1/customers", &registration("C1")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let first = app
        .post("/v1/customers/C1/transactions", &transaction("T1", 500))
        .await;
    let first_body: Value = first.json().await.expect("json");
    let second = app
        .post("/v1/customers/C1/transactions", &transaction("T1", 500))
        .await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.expect("json"), first_body);
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn conflicting_reuse_of_ids_is_a_409() {
    let app = spawn_app().await;
    app.register("C1").await;
    let mut other = registration("C1");
    other["name"] = json!("Someone Else");
    let (status, _) = problem(app.post("/v1/customers", &other).await).await;
    assert_eq!(status, 409);
    app.post("/v1/customers/C1/transactions", &transaction("T1", 500))
        .await;
    let (status, p) = problem(
        app.post("/v1/customers/C1/transactions", &transaction("T1", 501))
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(first_field(&p), "transaction_id");
    assert_eq!(app.event_count().await, 2);
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.register("C1").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "negative amount",
            json!({"amount_minor": -100}),
            "amount_minor",
        ),
        ("zero amount", json!({"amount_minor": 0}), "amount_minor"),
        (
            "absurd amount",
            json!({"amount_minor": 10_000_000_000_000i64}),
            "amount_minor",
        ),
        (
            "amount as text",
            json!({"amount_minor": "100"}),
            "amount_minor",
        ),
        ("unknown field", json!({"surprise": true}), "surprise"),
        ("bad currency", json!({"currency": "rupees"}), "currency"),
        ("other currency", json!({"currency": "EUR"}), "currency"),
        ("bad kind", json!({"kind": "gift"}), "kind"),
        (
            "bad mcc",
            json!({"merchant_category_code": "54"}),
            "merchant_category_code",
        ),
        (
            "bad time",
            json!({"occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            "before opening",
            json!({"occurred_at": "2025-01-01T00:00:00Z"}),
            "occurred_at",
        ),
    ];
    for (name, patch, field) in cases {
        let mut body = transaction("T1", 500);
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, p) = problem(app.post("/v1/customers/C1/transactions", &body).await).await;
        assert_eq!(status, 422, "{name}: {p}");
        assert_eq!(first_field(&p), field, "{name}: {p}");
    }
    let mut missing = transaction("T1", 500);
    missing.as_object_mut().expect("object").remove("currency");
    let (status, p) = problem(app.post("/v1/customers/C1/transactions", &missing).await).await;
    assert_eq!((status, first_field(&p)), (422, "currency"));
    let mut bad_phone = registration("C2");
    bad_phone["phone"] = json!("98000 00001");
    let (status, p) = problem(app.post("/v1/customers", &bad_phone).await).await;
    assert_eq!((status, first_field(&p)), (422, "phone"));
    let (status, p) = problem(app.post("/v1/customers", &registration("bad id!")).await).await;
    assert_eq!((status, first_field(&p)), (422, "customer_id"));
    assert_eq!(
        app.event_count().await,
        1,
        "only the registration is stored"
    );
}

#[tokio::test]
async fn malformed_wrongly_typed_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    app.register("C1").await;
    let url = format!("{}/v1/customers/C1/transactions", app.base);
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"transaction_id\":")
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 400);
    let resp = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(transaction("T1", 5).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 415);
    let resp = app
        .client
        .post(&url)
        .body(transaction("T1", 5).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 415);
    let mut huge = transaction("T1", 5);
    huge["merchant_name"] = json!("x".repeat(100_000));
    let resp = app
        .client
        .post(&url)
        .json(&huge)
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 413);
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("[1,2]")
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 422);
    assert_eq!(app.event_count().await, 1);
}

#[tokio::test]
async fn activity_on_an_unknown_customer_is_a_404() {
    let app = spawn_app().await;
    let (status, _) = problem(
        app.post("/v1/customers/NOBODY/transactions", &transaction("T1", 5))
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let payment = json!({"payment_id": "P1", "amount_minor": 5, "currency": "INR", "paid_at": "2026-02-01T00:00:00Z"});
    let (status, _) = problem(app.post("/v1/customers/NOBODY/payments", &payment).await).await;
    assert_eq!(status, 404);
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn statements_payments_limits_and_days_past_due() {
    let app = spawn_app().await;
    app.register("C1").await;
    let statement = json!({"period": "2026-01", "closing_balance_minor": 50_000, "minimum_due_minor": 2_500,
        "due_date": "2026-02-20", "issued_at": "2026-02-01T02:00:00Z"});
    assert_eq!(
        app.post("/v1/customers/C1/statements", &statement)
            .await
            .status(),
        201
    );
    let payment = json!({"payment_id": "P1", "amount_minor": 2_500, "currency": "INR", "paid_at": "2026-02-15T00:00:00Z"});
    assert_eq!(
        app.post("/v1/customers/C1/payments", &payment)
            .await
            .status(),
        201
    );
    let dpd = json!({"days_past_due": 12, "as_of": "2026-03-03T00:00:00Z"});
    assert_eq!(
        app.post("/v1/customers/C1/days-past-due", &dpd)
            .await
            .status(),
        201
    );
    let limit = json!({"credit_limit_minor": 20_000_000, "effective_at": "2026-03-01T00:00:00Z"});
    let resp = app.post("/v1/customers/C1/credit-limit", &limit).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.expect("json")["changed"], true);
    let (status, p) = problem(
        app.post("/v1/customers/C1/statements", &json!({"period": "2026-13"}))
            .await,
    )
    .await;
    assert_eq!((status, first_field(&p)), (422, "period"));
    assert_eq!(app.event_count().await, 5);
}

#[tokio::test]
async fn a_batch_answers_every_item() {
    let app = spawn_app().await;
    app.register("C1").await;
    let mut items = vec![];
    for i in 0..5 {
        let mut t = transaction(&format!("T{i}"), 100 + i);
        t["customer_id"] = json!("C1");
        items.push(t);
    }
    let mut unknown = transaction("T9", 5);
    unknown["customer_id"] = json!("NOBODY");
    items.push(unknown);
    let mut negative = transaction("T10", 5);
    negative["customer_id"] = json!("C1");
    negative["amount_minor"] = json!(-1);
    items.push(negative);
    let mut repeat = transaction("T0", 100);
    repeat["customer_id"] = json!("C1");
    items.push(repeat);
    let resp = app
        .post("/v1/transactions:batch", &json!({"items": items}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        (
            body["recorded"].as_u64(),
            body["repeated"].as_u64(),
            body["rejected"].as_u64()
        ),
        (Some(5), Some(1), Some(2))
    );
    assert_eq!(body["results"][5]["problem"]["status"], 404);
    assert_eq!(
        body["results"][6]["problem"]["errors"][0]["field"],
        "items[6].amount_minor"
    );
    assert_eq!(
        body["results"][7]["sequence"],
        body["results"][0]["sequence"]
    );
    assert_eq!(app.event_count().await, 6);
    // The same batch again stores nothing new.
    let again: Value = app
        .post("/v1/transactions:batch", &json!({"items": items}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["repeated"], 6);
    assert_eq!(app.event_count().await, 6);
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_whole() {
    let app = spawn_app().await;
    app.register("C1").await;
    let items: Vec<Value> = (0..10_001)
        .map(|i| {
            let mut t = transaction(&format!("T{i}"), 100);
            t["customer_id"] = json!("C1");
            t
        })
        .collect();
    let (status, p) = problem(
        app.post("/v1/transactions:batch", &json!({"items": items}))
            .await,
    )
    .await;
    assert_eq!((status, first_field(&p)), (422, "items"));
    assert_eq!(app.event_count().await, 1);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    // A migration missing from the database makes the service not ready.
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&app.db.pool)
        .await
        .expect("forget migrations");
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problem_details() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/v1/nowhere", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 404);
    let resp = app
        .client
        .get(format!("{}/v1/customers", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(resp).await.0, 405);
}

#[tokio::test]
async fn a_fact_from_the_future_is_refused_naming_its_field_and_stores_nothing() {
    let app = spawn_app().await;
    let before = app.event_count().await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut reg = registration("C-FUT");
    reg["opened_at"] = json!(future);
    let r = app.post("/v1/customers", &reg).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "opened_at", "{body}");
    assert_eq!(app.event_count().await, before, "nothing stored");

    assert_eq!(
        app.post("/v1/customers", &registration("C-FUT"))
            .await
            .status(),
        201
    );
    let stored = app.event_count().await;
    let mut tx = transaction("T-FUT", 1_000);
    tx["occurred_at"] = json!("2030-01-01T09:00:00Z");
    let r = app.post("/v1/customers/C-FUT/transactions", &tx).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "occurred_at", "{body}");
    // Within the allowed skew (5 minutes) a fact is accepted.
    tx["occurred_at"] = json!((chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339());
    assert_eq!(
        app.post("/v1/customers/C-FUT/transactions", &tx)
            .await
            .status(),
        201
    );
    assert_eq!(app.event_count().await, stored + 1);

    // In a batch, only the future item is refused, with its path.
    let mut late = transaction("T-FUT-2", 1_000);
    late["customer_id"] = json!("C-FUT");
    late["occurred_at"] = json!("2030-01-01T09:00:00Z");
    let mut fine = transaction("T-FUT-3", 1_000);
    fine["customer_id"] = json!("C-FUT");
    let r = app
        .post("/v1/transactions:batch", &json!({"items": [late, fine]}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["recorded"], 1, "{body}");
    assert_eq!(body["rejected"], 1, "{body}");
    let refused = &body["results"][0]["problem"]["errors"][0]["field"];
    assert_eq!(refused, "items[0].occurred_at", "{body}");
    for (path, field, value) in [
        (
            "statements",
            "issued_at",
            json!({"period": "2026-01", "closing_balance_minor": 1000,
            "minimum_due_minor": 100, "due_date": "2031-01-20", "issued_at": "2031-01-01T02:00:00Z"}),
        ),
        (
            "payments",
            "paid_at",
            json!({"payment_id": "P-FUT", "amount_minor": 100,
            "currency": "INR", "paid_at": "2031-01-01T02:00:00Z"}),
        ),
        (
            "days-past-due",
            "as_of",
            json!({"days_past_due": 5, "as_of": "2031-01-01T02:00:00Z"}),
        ),
        (
            "credit-limit",
            "effective_at",
            json!({"credit_limit_minor": 5000000,
            "effective_at": "2031-01-01T02:00:00Z"}),
        ),
    ] {
        let r = app
            .post(&format!("/v1/customers/C-FUT/{path}"), &value)
            .await;
        assert_eq!(r.status(), 422, "{path}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }
    assert_eq!(
        app.event_count().await,
        stored + 2,
        "only the two good transactions"
    );
}

#[tokio::test]
async fn every_invalid_field_of_a_transaction_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    assert_eq!(
        app.post("/v1/customers", &registration("C-ALL"))
            .await
            .status(),
        201
    );
    let before = app.event_count().await;
    let mut tx = transaction("T-ALL", 1_000);
    tx["amount_minor"] = json!(-1);
    tx["currency"] = json!("usd");
    tx["channel"] = json!("fax");
    let r = app.post("/v1/customers/C-ALL/transactions", &tx).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["amount_minor", "channel", "currency"], "{body}");
    assert_eq!(app.event_count().await, before);
}
