//! The WhatsApp webhook endpoint: the subscription handshake, signature
//! checks over the raw body (forged or unsigned → 401, nothing recorded),
//! idempotent recording, and the local adapter's inbox.

mod alerting;

use std::time::Duration;

use alerting::*;
use alerts::{Adapter, LocalInbox};
use whatsapp::fake::FakeConfig;

fn status_body(alert_id: &str, wamid: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": "106500000000"},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1772359200",
                "recipient_id": "919800000001", "biz_opaque_callback_data": alert_id}]}}]}]
    }))
    .expect("json")
}

async fn post(h: &Harness, body: Vec<u8>, signature: Option<String>) -> reqwest::Response {
    let mut req = h
        .http
        .post(format!("{}/v1/webhooks/whatsapp", h.base))
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header("x-hub-signature-256", s);
    }
    req.send().await.expect("post")
}

async fn deliveries(h: &Harness) -> i64 {
    h.count("SELECT count(*) FROM events WHERE event_type = 'AlertDeliveryUpdated'")
        .await
}

/// A customer with alert A-1 queued (not sent: no dispatcher runs).
async fn with_alert(h: &Harness) {
    h.register("C-1", 1).await;
    h.raise("C-1", "A-1", &fixture_policy()).await;
    let head = last_position(&h.db.pool).await;
    projections::Runner::new(
        alerts::outbox::AlertOutbox,
        h.db.pool.clone(),
        h.state.lag.clone(),
    )
    .catch_up_to(head, 2_000)
    .await
    .expect("outbox");
}

#[tokio::test]
async fn the_handshake_needs_the_verify_token() {
    let h = harness(FakeConfig::default(), false).await;
    let url = |token: &str| {
        format!(
            "{}/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            h.base
        )
    };
    let ok = h.http.get(url(VERIFY_TOKEN)).send().await.expect("get");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.expect("body"), "1158201444");
    let wrong = h.http.get(url("guess")).send().await.expect("get");
    assert_eq!(wrong.status(), 403);
    let problem: serde_json::Value = wrong.json().await.expect("problem json");
    assert_eq!(problem["status"], 403);
}

#[tokio::test]
async fn forged_or_unsigned_webhooks_are_refused_and_record_nothing() {
    let h = harness(FakeConfig::default(), false).await;
    with_alert(&h).await;
    let body = status_body("A-1", "wamid.X", "delivered");
    let good = whatsapp::webhook::sign(APP_SECRET.as_bytes(), &body);
    let forged = whatsapp::webhook::sign(b"not-the-secret", &body);
    let tampered = status_body("A-1", "wamid.X", "read");

    let r = post(&h, body.clone(), None).await;
    assert_eq!(r.status(), 401);
    let r = post(&h, body.clone(), Some(forged)).await;
    assert_eq!(r.status(), 401);
    // A valid signature over other bytes.
    let r = post(&h, tampered, Some(good.clone())).await;
    assert_eq!(r.status(), 401);
    let r = post(
        &h,
        body.clone(),
        Some("sha256=".to_owned() + &"0".repeat(64)),
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        deliveries(&h).await,
        0,
        "nothing recorded from a refused webhook"
    );

    // The genuine one is recorded once, however often it is delivered.
    for _ in 0..3 {
        let r = post(&h, body.clone(), Some(good.clone())).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(deliveries(&h).await, 1);
    let e = &h.events_of("AlertDeliveryUpdated").await[0];
    assert_eq!(e["alert_id"], "A-1");
    assert_eq!(e["status"], "delivered");
}

#[tokio::test]
async fn statuses_out_of_order_keep_each_once_and_unknown_messages_are_ignored() {
    let h = harness(FakeConfig::default(), false).await;
    with_alert(&h).await;
    for status in ["read", "sent", "delivered", "read", "failed", "delivered"] {
        let body = status_body("A-1", "wamid.X", status);
        let sig = whatsapp::webhook::sign(APP_SECRET.as_bytes(), &body);
        assert_eq!(post(&h, body, Some(sig)).await.status(), 200);
    }
    let statuses: Vec<String> = h
        .events_of("AlertDeliveryUpdated")
        .await
        .iter()
        .map(|e| e["status"].as_str().expect("status").to_owned())
        .collect();
    assert_eq!(statuses, ["read", "sent", "delivered", "failed"]);

    let body = status_body("not-ours", "wamid.Y", "read");
    let sig = whatsapp::webhook::sign(APP_SECRET.as_bytes(), &body);
    let r = post(&h, body, Some(sig)).await;
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.expect("report");
    assert_eq!(report["ignored"], 1);
    assert_eq!(deliveries(&h).await, 4);

    let garbage = b"{\"object\":1}".to_vec();
    let sig = whatsapp::webhook::sign(APP_SECRET.as_bytes(), &garbage);
    let r = post(&h, garbage, Some(sig)).await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn without_a_token_alerts_go_to_the_local_inbox() {
    let h = harness(FakeConfig::default(), false).await;
    let inbox = std::sync::Arc::new(LocalInbox::default());
    let runtime = h.start_alerts(
        fixture_policy(),
        quick_dispatch(),
        Adapter::Local(inbox.clone()),
    );
    h.register("C-1", 1).await;
    h.execute("C-1", high_decision("C-1:2", "2026-02-03T10:00:00Z"))
        .await;
    wait_for("AlertSent", Duration::from_secs(30), || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await
            == 1
    })
    .await;
    runtime.stop().await;
    let local = inbox.list(Some(&phone(1)), 10);
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].template, "risk_alert");
    let sent = &h.events_of("AlertSent").await[0];
    assert_eq!(sent["wamid"].as_str(), Some(local[0].wamid.as_str()));
    assert_eq!(messages(&h.fake), 0, "no network in local mode");

    // The inbox is visible over HTTP in local mode (and only then), without
    // a token only in demo mode (it shows one-time codes).
    let webhooks = |inbox: std::sync::Arc<LocalInbox>| api::http::webhooks::WebhookState {
        app_secret: None,
        verify_token: None,
        recorder: alerts::webhook::DeliveryRecorder::new(
            h.db.pool.clone(),
            h.state.customers.clone(),
        ),
        local_inbox: Some(inbox),
    };
    let guarded = h.state.clone().with_webhooks(webhooks(inbox.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let not_demo = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(listener, api::http::router(guarded))
            .await
            .expect("serve");
    });
    let refused = h
        .http
        .get(format!("{not_demo}/v1/local/whatsapp/messages"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        refused.status(),
        401,
        "outside demo mode the inbox needs an admin"
    );
    let state = h
        .state
        .clone()
        .with_demo(true)
        .with_webhooks(api::http::webhooks::WebhookState {
            app_secret: None,
            verify_token: None,
            recorder: alerts::webhook::DeliveryRecorder::new(
                h.db.pool.clone(),
                h.state.customers.clone(),
            ),
            local_inbox: Some(inbox.clone()),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let local = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(listener, api::http::router(state))
            .await
            .expect("serve");
    });
    let url = format!("{local}/v1/local/whatsapp/messages?to=%2B919800000001");
    let body: serde_json::Value = h
        .http
        .get(url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["messages"][0]["template"], "risk_alert");
    assert_eq!(body["messages"][0]["body_params"][0], "Asha");
    // A `to` that is no phone number is a 400 naming it; an unencoded `+`
    // (which arrives as a space) says how to send it.
    for (query, hint) in [("to=garbage", false), ("to=+919800000001", true)] {
        let r = h
            .http
            .get(format!("{local}/v1/local/whatsapp/messages?{query}"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 400, "{query}");
        let p: serde_json::Value = r.json().await.expect("json");
        assert_eq!(p["errors"][0]["field"], "to", "{query}: {p}");
        let message = p["errors"][0]["message"].as_str().unwrap_or_default();
        assert_eq!(message.contains("%2B"), hint, "{query}: {message}");
    }
    let bad = h
        .http
        .get(format!("{local}/v1/local/whatsapp/messages?limit=0"))
        .send()
        .await
        .expect("get");
    // A bad query value or an unknown parameter is a 400 problem naming it,
    // as on every route.
    assert_eq!(bad.status(), 400);
    let unknown = h
        .http
        .get(format!("{local}/v1/local/whatsapp/messages?since=1"))
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
    let p: serde_json::Value = unknown.json().await.expect("problem");
    assert_eq!(p["errors"][0]["field"], "since");
    let absent = h
        .http
        .get(format!("{}/v1/local/whatsapp/messages", h.base))
        .send()
        .await
        .expect("get");
    assert_eq!(absent.status(), 404, "no inbox route with the Cloud API");
}

#[tokio::test]
async fn a_failure_says_why_and_a_delivery_what_it_cost() {
    let h = harness(FakeConfig::default(), false).await;
    with_alert(&h).await;
    let mut delivered: serde_json::Value =
        serde_json::from_slice(&status_body("A-1", "wamid.X", "delivered")).expect("json");
    delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"] =
        serde_json::json!({"billable": true, "pricing_model": "PMP", "category": "utility"});
    let mut failed: serde_json::Value =
        serde_json::from_slice(&status_body("A-1", "wamid.X", "failed")).expect("json");
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = serde_json::json!([{
        "code": 131049,
        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "message": "This message was not delivered to maintain healthy ecosystem engagement.",
        "error_data": {"details": "The message failed to be delivered."}}]);
    for body in [delivered, failed] {
        let body = serde_json::to_vec(&body).expect("json");
        let sig = whatsapp::webhook::sign(APP_SECRET.as_bytes(), &body);
        assert_eq!(post(&h, body, Some(sig)).await.status(), 200);
    }
    let events = h.events_of("AlertDeliveryUpdated").await;
    assert_eq!(events[0]["pricing_category"], "utility");
    assert_eq!(events[1]["error_code"], 131049);
    assert_eq!(
        events[1]["error_reason"],
        "This message was not delivered to maintain healthy ecosystem engagement.: \
         The message failed to be delivered."
    );
    // The alerts view (what the console shows) carries both.
    let head = last_position(&h.db.pool).await;
    projections::Runner::new(
        projections::views::alerts::CustomerAlerts,
        h.db.pool.clone(),
        h.state.lag.clone(),
    )
    .catch_up_to(head, 2_000)
    .await
    .expect("alerts view");
    let (reason, category): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT failed_reason, pricing_category FROM customer_alerts WHERE alert_id = 'A-1'",
    )
    .fetch_one(&h.db.pool)
    .await
    .expect("row");
    assert_eq!(
        reason.as_deref(),
        Some(
            "131049 This message was not delivered to maintain healthy ecosystem engagement.: \
             The message failed to be delivered."
        )
    );
    assert_eq!(category.as_deref(), Some("utility"));
}
