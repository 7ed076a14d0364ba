//! Corrections over HTTP, in batches and through the read side against a
//! real PostgreSQL: a reversal, a returned payment and a corrected statement
//! are stored as new events beside the facts they correct, refused (naming
//! the field, storing nothing) when they correct what is not there, answered
//! as the first time when repeated, and honoured by the balance, the
//! features and the admin's view.

mod common;

use std::time::Duration;

use api::auth::Role;
use common::*;
use serde_json::{json, Value};

fn reversal(id: &str, txn: &str, amount: i64) -> Value {
    json!({"reversal_id": id, "transaction_id": txn, "amount_minor": amount,
           "reason": "chargeback", "reversed_at": "2026-02-05T10:00:00Z"})
}

fn payment(id: &str, amount: i64) -> Value {
    json!({"payment_id": id, "amount_minor": amount, "currency": "INR",
           "paid_at": "2026-03-10T09:00:00Z"})
}

fn payment_return(id: &str, at: &str) -> Value {
    json!({"payment_id": id, "reason": "insufficient_funds", "returned_at": at})
}

fn statement() -> Value {
    json!({"period": "2026-02", "closing_balance_minor": 12_500, "minimum_due_minor": 625,
           "due_date": "2026-03-21", "issued_at": "2026-03-01T02:00:00Z"})
}

fn statement_correction(id: &str, minimum: i64) -> Value {
    json!({"correction_id": id, "period": "2026-02", "closing_balance_minor": 7_500,
           "minimum_due_minor": minimum, "due_date": "2026-03-25",
           "corrected_at": "2026-03-02T09:00:00Z"})
}

async fn status_and_body(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

/// A customer with a transaction T1 (12,500), a statement for 2026-02 and a
/// payment P1 (12,500).
async fn customer_with_history(app: &TestApp) {
    app.register("C1").await;
    for (path, body) in [
        ("transactions", transaction("T1", 12_500)),
        ("statements", statement()),
        ("payments", payment("P1", 12_500)),
    ] {
        let resp = app.post(&format!("/v1/customers/C1/{path}"), &body).await;
        assert_eq!(resp.status(), 201, "{path}");
    }
}

#[tokio::test]
async fn corrections_are_new_events_and_refusals_store_nothing() {
    let app = spawn_app().await;
    customer_with_history(&app).await;
    let before = app.event_count().await;
    let refusals = [
        (
            "reversals",
            reversal("R-1", "T-NONE", 100),
            "transaction_id",
        ),
        ("reversals", reversal("R-1", "T1", 12_501), "amount_minor"),
        (
            "payment-returns",
            payment_return("P-NONE", "2026-03-12T06:00:00Z"),
            "payment_id",
        ),
        (
            "payment-returns",
            payment_return("P1", "2026-03-09T06:00:00Z"),
            "returned_at",
        ),
        (
            "payment-returns",
            payment_return("P1", "2030-01-01T00:00:00Z"),
            "returned_at",
        ),
        (
            "statement-corrections",
            statement_correction("SC-1", 9_000),
            "minimum_due_minor",
        ),
        (
            "statement-corrections",
            {
                let mut c = statement_correction("SC-1", 100);
                c["period"] = json!("2026-01");
                c
            },
            "period",
        ),
    ];
    for (path, body, field) in refusals {
        let (status, problem) =
            status_and_body(app.post(&format!("/v1/customers/C1/{path}"), &body).await).await;
        assert_eq!(status, 422, "{path} {body}: {problem}");
        assert_eq!(fields(&problem), [field], "{path} {body}: {problem}");
    }
    assert_eq!(app.event_count().await, before, "refusals store nothing");

    let accepted = [
        ("reversals", reversal("R-1", "T1", 5_000)),
        (
            "payment-returns",
            payment_return("P1", "2026-03-12T06:00:00Z"),
        ),
        ("statement-corrections", statement_correction("SC-1", 375)),
    ];
    for (path, body) in &accepted {
        let first = app.post(&format!("/v1/customers/C1/{path}"), body).await;
        assert_eq!(first.status(), 201, "{path}");
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: Value = first.json().await.expect("json");
        let again = app.post(&format!("/v1/customers/C1/{path}"), body).await;
        assert_eq!(again.status(), 201, "{path} repeated");
        assert_eq!(
            again
                .headers()
                .get("idempotent-replayed")
                .map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        assert_eq!(again.json::<Value>().await.expect("json"), first);
    }
    assert_eq!(app.event_count().await, before + 3, "each stored once");
    // A second return of the same payment, and more than is left of T1.
    let (status, p) = status_and_body(
        app.post(
            "/v1/customers/C1/payment-returns",
            &payment_return("P1", "2026-03-13T06:00:00Z"),
        )
        .await,
    )
    .await;
    assert_eq!((status, fields(&p)), (422, vec!["payment_id"]), "{p}");
    let (status, p) = status_and_body(
        app.post("/v1/customers/C1/reversals", &reversal("R-2", "T1", 7_501))
            .await,
    )
    .await;
    assert_eq!((status, fields(&p)), (422, vec!["amount_minor"]), "{p}");

    // The corrected facts are still in the log, as recorded.
    let original: i64 = sqlx::query_scalar(
        "SELECT (payload -> 'TransactionRecorded' ->> 'amount_minor')::bigint FROM events \
         WHERE event_type = 'TransactionRecorded'",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("transaction");
    assert_eq!(original, 12_500);
    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_id = 'C1' ORDER BY sequence",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("types");
    assert_eq!(
        types[types.len() - 3..],
        [
            "TransactionReversed",
            "PaymentReturned",
            "StatementCorrected"
        ]
    );
}

#[tokio::test]
async fn a_corrections_batch_answers_each_item_on_its_own() {
    let app = spawn_app().await;
    customer_with_history(&app).await;
    let before = app.event_count().await;
    let item = |command: &str, mut body: Value| {
        body["command"] = json!(command);
        body["customer_id"] = json!("C1");
        body
    };
    let body = json!({"items": [
        item("reverse_transaction", reversal("R-1", "T1", 2_500)),
        item("reverse_transaction", reversal("R-2", "T1", 2_500)),
        item("return_payment", payment_return("P-NONE", "2026-03-12T06:00:00Z")),
        item("record_transaction", transaction("T2", 100)),
        item("correct_statement", statement_correction("SC-1", 375)),
        item("reverse_transaction", reversal("R-1", "T1", 2_500)),
        item("reverse_transaction", reversal("R-3", "T1", 7_501)),
    ]});
    let (status, answer) = status_and_body(app.post("/v1/corrections:batch", &body).await).await;
    assert_eq!(status, 200, "{answer}");
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        statuses,
        ["recorded", "recorded", "rejected", "rejected", "recorded", "repeated", "rejected"],
        "{answer}"
    );
    assert_eq!(
        answer["results"][2]["problem"]["errors"][0]["field"],
        "items[2].payment_id"
    );
    assert_eq!(
        answer["results"][3]["problem"]["errors"][0]["field"],
        "items[3].command"
    );
    // 7,500 is left after two reversals of 2,500: 7,501 is too much.
    assert_eq!(
        answer["results"][6]["problem"]["errors"][0]["field"],
        "items[6].amount_minor"
    );
    assert_eq!(app.event_count().await, before + 3);
}

/// The admin answer at `path`; `None` while the read side has not yet
/// projected the customer (404), any other status than 200 fails.
async fn get_admin(app: &TestApp, path: &str) -> Option<Value> {
    let token = app
        .tokens
        .issue("alice", Role::Admin, chrono::Utc::now().timestamp());
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    if resp.status() == 404 {
        return None;
    }
    assert_eq!(resp.status(), 200, "{path}");
    Some(resp.json().await.expect("json"))
}

/// Polls the read side until `ready` holds of the customer's detail.
async fn detail_when(app: &TestApp, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..3_000 {
        if let Some(d) = get_admin(app, "/v1/admin/customers/C1").await {
            if ready(&d) {
                return d;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = get_admin(app, "/v1/admin/customers/C1").await;
    panic!("the read side never showed the corrections: {last:?}");
}

#[tokio::test]
async fn the_read_side_honours_corrections() {
    let app = spawn_app_with_read_side().await;
    customer_with_history(&app).await;
    for (path, body) in [
        ("reversals", reversal("R-1", "T1", 5_000)),
        ("statement-corrections", statement_correction("SC-1", 375)),
        (
            "payment-returns",
            payment_return("P1", "2026-03-12T06:00:00Z"),
        ),
    ] {
        let resp = app.post(&format!("/v1/customers/C1/{path}"), &body).await;
        assert_eq!(resp.status(), 201, "{path}");
    }
    let d = detail_when(&app, |d| {
        d["corrections"].as_array().is_some_and(|c| c.len() == 3)
            && d["features"]["returned_payments_90d"].as_f64() == Some(1.0)
            && d["profile"]["last_activity_at"] == "2026-03-12T06:00:00Z"
            && d["risk"]["latest"]["scored_at"] == "2026-03-12T06:00:00Z"
    })
    .await;
    // 12,500 spent − 5,000 reversed − 12,500 paid + 12,500 returned.
    assert_eq!(d["profile"]["balance_minor"], 7_500, "{d}");
    assert_eq!(d["transactions"]["items"][0]["reversed_minor"], 5_000);
    let s = &d["statements"]["items"][0];
    assert_eq!(
        (s["minimum_due_minor"].clone(), s["due_date"].clone()),
        (json!(375), json!("2026-03-25"))
    );
    assert_eq!(s["corrected_at"], "2026-03-02T09:00:00Z");
    let kinds: Vec<&str> = d["corrections"]
        .as_array()
        .expect("corrections")
        .iter()
        .map(|c| c["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        kinds,
        ["returned_payment", "statement_correction", "reversal"]
    );
    // The features of the state as folded (7,500 of 10,000,000 used); that
    // the return was scored at its own moment is part of the wait above.
    assert_eq!(d["features"]["utilisation"].as_f64(), Some(0.00075));
}
