//! The customer's own page: usage, band, reasons and the messages sent,
//! and nothing internal to the bank.

use api::auth::Role;
use serde_json::{json, Value};

use super::*;

/// Every field a customer may read on `GET /v1/me`, as paths (`[]` for an
/// array's items). Anything else in the answer fails the test: a field added
/// to the answer must be judged customer-safe and listed here.
const ME_FIELDS: &[&str] = &[
    "customer_id",
    "name",
    "usage",
    "usage.currency",
    "usage.credit_limit_minor",
    "usage.balance_minor",
    "usage.available_minor",
    "usage.utilisation",
    "band",
    "band_since",
    "reasons",
    "reasons[]",
    "reasons[].reason",
    "reasons[].what_would_help",
    "reasons_as_of",
    "recent_transactions",
    "recent_transactions[]",
    "recent_transactions[].transaction_id",
    "recent_transactions[].amount_minor",
    "recent_transactions[].currency",
    "recent_transactions[].kind",
    "recent_transactions[].merchant_category_code",
    "recent_transactions[].merchant_name",
    "recent_transactions[].channel",
    "recent_transactions[].occurred_at",
    "recent_transactions[].reversed_minor",
    "messages",
    "messages[]",
    "messages[].template",
    "messages[].body_params",
    "messages[].body_params[]",
    "messages[].sent_at",
    "messages[].status",
    "messages[].delivery",
    "messages[].delivered_at",
    "messages[].read_at",
];

/// The key paths of a JSON value (`a.b`, `a[]`, `a[].b`).
fn key_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(path.clone());
                key_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                let path = format!("{prefix}[]");
                out.push(path.clone());
                key_paths(item, &path, out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn a_customer_sees_usage_band_reasons_and_the_messages_sent_but_nothing_internal() {
    // Arrange: a staff note on a manual alert, sent like any other message.
    let p = portfolio().await;
    let note = "Called 1 Dec: salary delayed; offered EMI conversion";
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/customers/C-000/alerts", p.app.base))
        .bearer_auth(&p.admin)
        .json(&json!({ "reason": note }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 202);
    wait_count(
        &p.app,
        "SELECT count(*) FROM customer_alerts WHERE customer_id = 'C-000' AND status = 'sent'",
        2,
    )
    .await;
    let token = p
        .app
        .tokens
        .issue("C-000", Role::Customer, chrono::Utc::now().timestamp());

    // Act
    let body = json_of(get_as(&p, "/v1/me", Some(&token)).await).await;

    // Assert: what they may see is there ...
    assert_eq!(body["customer_id"], "C-000");
    assert_eq!(body["usage"]["available_minor"], 400_000);
    assert_eq!(body["band"], "High");
    assert!(!body["reasons"][0]["what_would_help"]
        .as_str()
        .expect("help")
        .is_empty());
    assert_eq!(body["recent_transactions"][0]["transaction_id"], "T-0");
    // The reasons are those of the band in force, at its moment.
    let as_of: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "SELECT as_of FROM risk_decisions WHERE customer_id = 'C-000' ORDER BY position DESC LIMIT 1",
    )
    .fetch_one(&p.app.db.pool)
    .await
    .expect("decision");
    assert_eq!(body["reasons_as_of"], json!(as_of));
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "the escalation and the manual alert");
    assert!(messages.iter().all(|m| m["status"] == "sent"));
    // ... and nothing else: no staff note, requester, decision id or kind.
    let mut paths = Vec::new();
    key_paths(&body, "", &mut paths);
    let unlisted: Vec<&String> = paths
        .iter()
        .filter(|p| !ME_FIELDS.contains(&p.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "fields a customer may not see: {unlisted:?}"
    );
    let text = body.to_string();
    for internal in [note, "alice", "escalation", "manual", "decision"] {
        assert!(!text.contains(internal), "{internal:?} in {text}");
    }

    let other = p
        .app
        .tokens
        .issue("C-001", Role::Customer, chrono::Utc::now().timestamp());
    let theirs = json_of(get_as(&p, "/v1/me", Some(&other)).await).await;
    assert_eq!(theirs["customer_id"], "C-001");
    assert!(!theirs.to_string().contains("C-000"));
}

#[tokio::test]
async fn a_customer_with_no_decision_yet_reads_low_with_nothing_fired() {
    let p = portfolio().await;
    let id = format!("C-{HIGH:03}");
    wait_count(
        &p.app,
        &format!("SELECT count(*) FROM customer_risk WHERE customer_id = '{id}'"),
        1,
    )
    .await;
    let body = json_of(get(&p, &format!("/v1/admin/customers/{id}")).await).await;
    let risk = &body["risk"];
    // Every field the description requires is there, empty where nothing
    // was decided; the latest evaluation is given apart.
    assert_eq!(risk["band"], "Low", "{risk}");
    assert_eq!(risk["fired_rules"], json!([]), "{risk}");
    assert_eq!(risk["reasons"], json!([]), "{risk}");
    assert_eq!(risk["staff_reasons"], json!([]), "{risk}");
    assert_eq!(risk["score"], Value::Null, "{risk}");
    assert!(risk["latest"]["score"].as_f64().is_some(), "{risk}");
}
