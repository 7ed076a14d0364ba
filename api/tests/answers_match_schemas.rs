//! Every answer is what the API description says: on a customer built
//! through the ingest API, scored by the real read side and alerted through
//! the real dispatcher, each route's answer body is validated against the
//! schema `/openapi.json` documents for its status (JSON Schema 2020-12,
//! with the spec's components).

mod common;

use std::time::Duration;

use api::auth::Role;
use common::*;
use serde_json::{json, Value};

struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Self {
        Self {
            doc: serde_json::to_value(api::http::openapi::spec()).expect("spec"),
        }
    }

    /// Checks `body`, the answer of `method path` with `status`, against
    /// the documented schema.
    fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let response = &self.doc["paths"][path][method]["responses"][status.to_string()];
        let content = response["content"]
            .as_object()
            .and_then(|c| c.values().next())
            .unwrap_or_else(|| panic!("{method} {path} documents no {status} body"));
        let mut schema = content["schema"].clone();
        schema["components"] = self.doc["components"].clone();
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{method} {path}: schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{e} (at {})", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} does not match its schema: {errors:#?}\n{body:#}"
        );
    }
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        request = request.json(b);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

async fn wait_for(app: &TestApp, sql: &str) {
    for _ in 0..3_000 {
        if count(app, sql).await > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {sql}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_matches_its_documented_schema() {
    let spec = Spec::load();
    let app = spawn_app_with_read_side().await;
    let (_inbox, _alerts) = local_alerts(&app, false);
    let now = chrono::Utc::now().timestamp();
    let ingest = app.tokens.issue("bank-core", Role::Ingest, now);
    let admin = app.tokens.issue("alice", Role::Admin, now);
    let auditor = app.tokens.issue("audrey", Role::Auditor, now);
    let customer = app.tokens.issue("C-1", Role::Customer, now);
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // Ingest: every write answer.
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers",
        &ingest,
        Some(&registration("C-1")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    spec.check("post", "/v1/customers", 201, &b);
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers/C-1/transactions",
        &ingest,
        Some(&transaction("T-1", 9_600_000)),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    spec.check("post", "/v1/customers/{customer_id}/transactions", 201, &b);
    let statement = json!({"period": "2026-01", "closing_balance_minor": 9_600_000,
        "minimum_due_minor": 480_000, "due_date": "2026-02-20", "issued_at": "2026-02-01T06:00:00Z"});
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers/C-1/statements",
        &ingest,
        Some(&statement),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    spec.check("post", "/v1/customers/{customer_id}/statements", 201, &b);
    let payment = json!({"payment_id": "P-1", "amount_minor": 480_000, "currency": "INR",
        "paid_at": "2026-02-15T09:00:00Z"});
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers/C-1/payments",
        &ingest,
        Some(&payment),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    spec.check("post", "/v1/customers/{customer_id}/payments", 201, &b);
    let dpd = json!({"days_past_due": 0, "as_of": "2026-02-25T00:00:00Z"});
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers/C-1/days-past-due",
        &ingest,
        Some(&dpd),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    spec.check("post", "/v1/customers/{customer_id}/days-past-due", 201, &b);
    let limit = json!({"credit_limit_minor": 10_000_000, "effective_at": "2026-02-26T00:00:00Z"});
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/customers/C-1/credit-limit",
        &ingest,
        Some(&limit),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    spec.check("post", "/v1/customers/{customer_id}/credit-limit", 200, &b);
    let mut item = transaction("T-2", 1_000);
    item["customer_id"] = json!("C-1");
    let mut bad = transaction("T-3", -1);
    bad["customer_id"] = json!("C-1");
    let batch = json!({"items": [item, bad]});
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/transactions:batch",
        &ingest,
        Some(&batch),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    spec.check("post", "/v1/transactions:batch", 200, &b);

    // The read side scores, records and alerts.
    wait_for(
        &app,
        "SELECT count(*) FROM risk_decisions WHERE customer_id = 'C-1'",
    )
    .await;
    wait_for(
        &app,
        "SELECT count(*) FROM customer_alerts WHERE status = 'sent'",
    )
    .await;
    wait_for(
        &app,
        "SELECT count(*) FROM customer_transactions WHERE transaction_id = 'T-2'",
    )
    .await;
    // Every view the admin reads below has applied the whole log (runners
    // are independent) and no decision waits to be recorded.
    wait_read_side_settled(&app).await;

    // Admin reads, and a manual alert.
    for (path, template) in [
        (
            "/v1/admin/customers/C-1",
            "/v1/admin/customers/{customer_id}",
        ),
        (
            "/v1/admin/customers/C-1/transactions?limit=1",
            "/v1/admin/customers/{customer_id}/transactions",
        ),
        (
            "/v1/admin/customers/C-1/statements",
            "/v1/admin/customers/{customer_id}/statements",
        ),
        ("/v1/admin/customers", "/v1/admin/customers"),
        ("/v1/admin/portfolio", "/v1/admin/portfolio"),
    ] {
        let (s, b) = send(&app, get.clone(), path, &admin, None).await;
        assert_eq!(s, 200, "{path}: {b}");
        spec.check("get", template, 200, &b);
    }
    let (s, b) = send(
        &app,
        post.clone(),
        "/v1/admin/customers/C-1/alerts",
        &admin,
        Some(&json!({"reason": "called: salary delayed"})),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    spec.check("post", "/v1/admin/customers/{customer_id}/alerts", 202, &b);

    // The customer's own page.
    let (s, b) = send(&app, get.clone(), "/v1/me", &customer, None).await;
    assert_eq!(s, 200, "{b}");
    spec.check("get", "/v1/me", 200, &b);

    // The auditor's reads and a replay.
    let (s, page) = send(
        &app,
        get.clone(),
        "/v1/audit/customers/C-1/decisions",
        &auditor,
        None,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    spec.check(
        "get",
        "/v1/audit/customers/{customer_id}/decisions",
        200,
        &page,
    );
    let decision = page["decisions"][0]["decision_id"]
        .as_str()
        .expect("a decision")
        .to_owned();
    let (s, b) = send(
        &app,
        get.clone(),
        &format!("/v1/audit/decisions/{decision}"),
        &auditor,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    spec.check("get", "/v1/audit/decisions/{decision_id}", 200, &b);
    let (s, b) = send(
        &app,
        post.clone(),
        &format!("/v1/audit/decisions/{decision}/replay"),
        &auditor,
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    spec.check("post", "/v1/audit/decisions/{decision_id}/replay", 200, &b);
    for query in [
        "",
        "?position=1",
        "?as_of=2026-02-10T00:00:00Z&time=business",
    ] {
        let (s, b) = send(
            &app,
            get.clone(),
            &format!("/v1/audit/customers/C-1/state{query}"),
            &auditor,
            None,
        )
        .await;
        assert_eq!(s, 200, "{query}: {b}");
        spec.check("get", "/v1/audit/customers/{customer_id}/state", 200, &b);
    }

    // Health.
    let (s, b) = send(&app, get.clone(), "/healthz", &admin, None).await;
    assert_eq!(s, 200);
    spec.check("get", "/healthz", 200, &b);
    let (s, b) = send(&app, get.clone(), "/readyz", &admin, None).await;
    assert_eq!(s, 200, "{b}");
    assert!(
        b["projections"].as_array().is_some_and(|p| !p.is_empty()),
        "{b}"
    );
    spec.check("get", "/readyz", 200, &b);

    // And a refusal is problem details as documented.
    let (s, b) = send(&app, get, "/v1/admin/customers/C-NOBODY", &admin, None).await;
    assert_eq!(s, 404);
    spec.check("get", "/v1/admin/customers/{customer_id}", 404, &b);
}
