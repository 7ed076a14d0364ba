//! One customer in full, its paged activity, and a manual alert raised by
//! an admin.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::common::*;

#[tokio::test]
async fn one_customer_in_full_with_paged_activity() {
    let p = portfolio().await;
    for k in 0..4 {
        let r = p
            .app
            .post(
                "/v1/customers/C-000/transactions",
                &transaction(&format!("T-0-{k}"), 1_000 + k),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    wait_count(
        &p.app,
        "SELECT count(*) FROM customer_transactions WHERE customer_id = 'C-000'",
        5,
    )
    .await;
    // The page's latest evaluation is compared with customer_risk below:
    // scoring (its own runner) must have applied the new transactions, and
    // any decision they asked for must be recorded, before the page is read.
    wait_read_side_settled(&p.app).await;
    let body = json_of(get(&p, "/v1/admin/customers/C-000").await).await;
    assert_eq!(body["profile"]["customer_id"], "C-000");
    assert_eq!(body["profile"]["credit_limit_minor"], 10_000_000);
    assert_eq!(body["risk"]["band"], "High");
    assert!(!body["risk"]["reasons"][0]["help"]
        .as_str()
        .expect("help")
        .is_empty());
    assert!(body["features"]["utilisation"].as_f64().expect("features") > 0.9);
    // Exactly the features and their moment (no stored state, no bookkeeping).
    let mut keys: Vec<&str> = body["features"]
        .as_object()
        .expect("features")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = std::iter::once("as_of")
        .chain(domain::features::FEATURE_NAMES)
        .collect();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    // Staff read the reasons in their own words, with the decision's numbers.
    let staff = &body["risk"]["staff_reasons"][0];
    assert_eq!(staff["code"], body["risk"]["reasons"][0]["code"]);
    assert_eq!(staff["feature"], "utilisation");
    assert!(
        (staff["value"].as_f64().expect("value") - 0.96).abs() < 1e-9,
        "{staff}"
    );
    assert!(
        staff["staff_text"]
            .as_str()
            .expect("text")
            .starts_with("utilisation = 0.9600 (rule utilisation_above_90;"),
        "{staff}"
    );
    assert_eq!(staff["customer_text"], body["risk"]["reasons"][0]["text"]);
    // Band, score, rules and reasons are those of one decision, at its moment;
    // the latest evaluation is given apart.
    let (score, as_of, rules): (f64, chrono::DateTime<chrono::Utc>, Vec<String>) = sqlx::query_as(
        "SELECT score, as_of, fired_rules FROM risk_decisions WHERE customer_id = 'C-000' \
         ORDER BY position DESC LIMIT 1",
    )
    .fetch_one(&p.app.db.pool)
    .await
    .expect("last decision");
    assert_eq!(body["risk"]["score"].as_f64(), Some(score));
    assert_eq!(body["risk"]["decided_at"], json!(as_of));
    assert_eq!(body["risk"]["fired_rules"], json!(rules));
    let (latest, scored_at): (f64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT score, scored_at FROM customer_risk WHERE customer_id = 'C-000'")
            .fetch_one(&p.app.db.pool)
            .await
            .expect("latest");
    assert_eq!(body["risk"]["latest"]["score"].as_f64(), Some(latest));
    assert_eq!(body["risk"]["latest"]["scored_at"], json!(scored_at));
    assert!(!body["risk_history"].as_array().expect("history").is_empty());
    assert!(body["band_thresholds"]["high"].as_f64().is_some());
    assert_eq!(body["alerts"][0]["kind"], "escalation");
    assert_eq!(body["alerts"][0]["status"], "sent");
    // Paging the transactions one by one visits each once.
    let mut ids = Vec::new();
    let mut path = "/v1/admin/customers/C-000/transactions?limit=1".to_owned();
    loop {
        let page = json_of(get(&p, &path).await).await;
        for t in page["items"].as_array().expect("items") {
            ids.push(t["transaction_id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/admin/customers/C-000/transactions?limit=1&cursor={c}"),
            None => break,
        }
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (5, 5), "{ids:?}");
    assert_eq!(get(&p, "/v1/admin/customers/C-999").await.status(), 404);
    assert_eq!(
        get(&p, "/v1/admin/customers/C-999/transactions")
            .await
            .status(),
        404
    );
    assert_bad_param(&p, "/v1/admin/customers/bad%20id", "customer_id").await;
    assert_bad_param(
        &p,
        "/v1/admin/customers/C-000/statements?limit=500",
        "limit",
    )
    .await;
}

#[tokio::test]
async fn an_admin_raises_an_alert_through_the_outbox_once_per_idempotency_key() {
    let p = portfolio().await;
    let post = |body: Value, key: Option<&str>, id: &str| {
        let mut r = reqwest::Client::new()
            .post(format!("{}/v1/admin/customers/{id}/alerts", p.app.base))
            .bearer_auth(&p.admin)
            .json(&body);
        if let Some(k) = key {
            r = r.header("idempotency-key", k);
        }
        r.send()
    };
    let phone = "+919800000010";
    let first = post(
        json!({"reason": "called about a missed payment"}),
        Some("k-1"),
        "C-010",
    )
    .await
    .expect("post");
    assert_eq!(first.status(), 202);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let id = json_of(first).await["alert_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let again = post(
        json!({"reason": "called about a missed payment"}),
        Some("k-1"),
        "C-010",
    )
    .await
    .expect("post");
    assert_eq!(again.status(), 202);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true"),
        "a repeat says it is one"
    );
    assert_eq!(json_of(again).await["alert_id"], id.as_str());
    let clash = post(json!({"reason": "something else"}), Some("k-1"), "C-010")
        .await
        .expect("post");
    assert_eq!(clash.status(), 409);
    // The dispatcher records AlertSent after the inbox accepted the message:
    // wait for that event (and its view), so the event count read below as
    // `before` is final.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM events WHERE event_type = 'AlertSent' \
                            AND payload -> 'AlertSent' ->> 'alert_id' = $1) \
                AND EXISTS (SELECT 1 FROM customer_alerts WHERE alert_id = $1 AND status = 'sent')",
        )
        .bind(&id)
        .fetch_one(&p.app.db.pool)
        .await
        .expect("sent");
        if sent {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alert {id} was not recorded as sent within 30 s; inbox: {:?}",
            p.inbox.list(Some(phone), 10)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        p.inbox.list(Some(phone), 10).len(),
        1,
        "one message for one key"
    );
    let raised = count(&p.app, "SELECT count(*) FROM events WHERE event_type = 'AlertRaised' AND payload -> 'AlertRaised' -> 'cause' ->> 'kind' = 'manual'").await;
    assert_eq!(raised, 1);
    let by: String = sqlx::query_scalar("SELECT payload -> 'AlertRaised' -> 'cause' ->> 'requested_by' FROM events WHERE event_type = 'AlertRaised' AND payload -> 'AlertRaised' ->> 'alert_id' = $1")
        .bind(&id)
        .fetch_one(&p.app.db.pool)
        .await
        .expect("requested_by");
    assert_eq!(by, "alice");

    let before = p.app.event_count().await;
    let empty = post(json!({"reason": "  "}), None, "C-010")
        .await
        .expect("post");
    assert_eq!(empty.status(), 422);
    assert_eq!(json_of(empty).await["errors"][0]["field"], "reason");
    let missing = post(json!({}), None, "C-010").await.expect("post");
    assert_eq!(missing.status(), 422);
    let unknown = post(json!({"reason": "x"}), None, "C-999")
        .await
        .expect("post");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        p.app.event_count().await,
        before,
        "refused requests record nothing"
    );
}
