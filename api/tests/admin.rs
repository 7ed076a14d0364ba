//! The admin and customer read API over real HTTP, on a portfolio built
//! through the ingest API and scored by the real read side, with alerts sent
//! through the real dispatcher and local adapter.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use alerts::{AlertsRuntime, LocalInbox};
use api::auth::Role;
use common::*;
use serde_json::{json, Value};

const HIGH: usize = 8;
const LOW: usize = 12;

struct Portfolio {
    app: TestApp,
    admin: String,
    inbox: Arc<LocalInbox>,
    _alerts: AlertsRuntime,
}

fn customer(n: usize) -> String {
    format!("C-{n:03}")
}

async fn add_customer(app: &TestApp, n: usize, high: bool) {
    let mut reg = registration(&customer(n));
    reg["phone"] = json!(format!("+9198{n:08}"));
    assert_eq!(app.post("/v1/customers", &reg).await.status(), 201);
    // 96% of the limit trips the over-limit rule (High); 1% stays Low.
    let amount = if high { 9_600_000 } else { 100_000 };
    let r = app
        .post(
            &format!("/v1/customers/{}/transactions", customer(n)),
            &transaction(&format!("T-{n}"), amount),
        )
        .await;
    assert_eq!(r.status(), 201);
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

async fn wait_count(app: &TestApp, sql: &str, want: i64) {
    for _ in 0..3_000 {
        if count(app, sql).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "timed out waiting for {sql} = {want} (now {})",
        count(app, sql).await
    );
}

async fn portfolio() -> Portfolio {
    let app = spawn_app_with_read_side().await;
    let (inbox, alerts) = local_alerts(&app, false);
    for n in 0..HIGH + LOW {
        add_customer(&app, n, n < HIGH).await;
    }
    wait_count(&app, "SELECT count(*) FROM risk_decisions", HIGH as i64).await;
    wait_count(
        &app,
        "SELECT count(*) FROM customer_alerts WHERE status = 'sent'",
        HIGH as i64,
    )
    .await;
    wait_count(
        &app,
        "SELECT count(*) FROM customer_risk",
        (HIGH + LOW) as i64,
    )
    .await;
    // Every view the tests read has caught up (runners are independent).
    wait_count(
        &app,
        "SELECT count(*) FROM customer_overview",
        (HIGH + LOW) as i64,
    )
    .await;
    wait_count(
        &app,
        "SELECT count(*) FROM customer_transactions",
        (HIGH + LOW) as i64,
    )
    .await;
    let admin = app
        .tokens
        .issue("alice", Role::Admin, chrono::Utc::now().timestamp());
    Portfolio {
        app,
        admin,
        inbox,
        _alerts: alerts,
    }
}

async fn get(p: &Portfolio, path: &str) -> reqwest::Response {
    get_as(p, path, Some(&p.admin)).await
}

async fn get_as(p: &Portfolio, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(format!("{}{path}", p.app.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("get")
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

async fn assert_bad_param(p: &Portfolio, path: &str, param: &str) {
    let r = get(p, path).await;
    assert_eq!(r.status(), 400, "{path}");
    let body = json_of(r).await;
    assert_eq!(body["errors"][0]["field"], param, "{path}: {body}");
}

#[tokio::test]
async fn every_admin_route_checks_the_role() {
    let p = portfolio().await;
    let now = chrono::Utc::now().timestamp();
    let others = [
        p.app.tokens.issue("C-000", Role::Customer, now),
        p.app.tokens.issue("bank-core", Role::Ingest, now),
        p.app.tokens.issue("audit", Role::Auditor, now),
    ];
    for path in [
        "/v1/admin/portfolio",
        "/v1/admin/customers",
        "/v1/admin/customers/C-001",
        "/v1/admin/customers/C-001/transactions",
        "/v1/admin/customers/C-001/statements",
    ] {
        assert_eq!(get_as(&p, path, None).await.status(), 401, "{path}");
        for t in &others {
            assert_eq!(get_as(&p, path, Some(t)).await.status(), 403, "{path}");
        }
        assert_eq!(get(&p, path).await.status(), 200, "{path}");
    }
    let before = p.app.event_count().await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/customers/C-001/alerts", p.app.base))
        .bearer_auth(&others[0])
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    assert_eq!(p.app.event_count().await, before);
}

#[tokio::test]
async fn the_portfolio_counts_bands_exposure_mix_migrations_and_alerts() {
    let p = portfolio().await;
    // Every view has applied every event, so nothing moves between the two
    // requests below.
    wait_count(
        &p.app,
        "SELECT count(*) FROM projection_checkpoints c WHERE c.name IN \
         ('customer_overview', 'customer_features', 'risk_decisions', 'customer_alerts') \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position))",
        4,
    )
    .await;
    let r = get(&p, "/v1/admin/portfolio?from=2026-01-25&to=2026-02-05").await;
    assert_eq!(r.status(), 200);
    let tag = r
        .headers()
        .get("etag")
        .expect("etag")
        .to_str()
        .expect("text")
        .to_owned();
    let body = json_of(r).await;
    let band = |b: &str| {
        body["bands"]
            .as_array()
            .expect("bands")
            .iter()
            .find(|x| x["band"] == b)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(band("High")["customers"], HIGH as i64);
    assert_eq!(band("High")["balance_minor"], 9_600_000 * HIGH as i64);
    assert_eq!(band("Low")["customers"], LOW as i64);
    let mix = body["band_mix"].as_array().expect("mix");
    assert_eq!(mix.len(), 12, "one entry per day of the range");
    // All opened 2026-01-01 (Low before the range); escalated on 2026-02-01.
    assert_eq!(mix[0]["bands"]["Low"], (HIGH + LOW) as i64);
    assert_eq!(mix[6]["date"], "2026-01-31");
    assert_eq!(mix[6]["bands"]["High"], 0);
    assert_eq!(mix[7]["bands"]["High"], HIGH as i64);
    assert_eq!(mix[11]["bands"]["Low"], LOW as i64);
    assert_eq!(
        body["migrations"],
        json!([{"from": "Low", "to": "High", "customers": HIGH}])
    );
    // Escalation alerts are raised at the decisions' business time.
    assert_eq!(body["alerts"]["raised"], HIGH as i64);
    assert_eq!(body["alerts"]["sent"], HIGH as i64);
    assert_eq!(body["alerts"]["suppressed"], 0);
    assert_eq!(body["alerts"]["suppressed_stale"], 0);
    assert_eq!(body["alerts"]["other_messages"], 0);
    assert!(!body["projected"].as_array().expect("projected").is_empty());

    // Revalidation: the same question with the same data is 304.
    let again = reqwest::Client::new()
        .get(format!(
            "{}/v1/admin/portfolio?from=2026-01-25&to=2026-02-05",
            p.app.base
        ))
        .bearer_auth(&p.admin)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);

    assert_bad_param(&p, "/v1/admin/portfolio?from=yesterday", "from").await;
    assert_bad_param(
        &p,
        "/v1/admin/portfolio?from=2026-02-05&to=2026-01-01",
        "from",
    )
    .await;
    assert_bad_param(
        &p,
        "/v1/admin/portfolio?from=2024-01-01&to=2026-01-01",
        "from",
    )
    .await;
    assert_bad_param(&p, "/v1/admin/portfolio?colour=red", "colour").await;
}

#[tokio::test]
async fn the_risk_list_filters_sorts_and_pages_without_repeats_while_rows_arrive() {
    let p = portfolio().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut extra = HIGH + LOW;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/admin/customers?band=High&limit=3&cursor={c}"),
            None => "/v1/admin/customers?band=High&limit=3".to_owned(),
        };
        let body = json_of(get(&p, &path).await).await;
        let items = body["items"].as_array().expect("items").clone();
        for i in &items {
            seen.push((
                i["customer_id"].as_str().expect("id").to_owned(),
                i["score"].as_f64().expect("score"),
            ));
            assert_eq!(i["band"], "High");
            // The original customers' alerts went out before paging began;
            // those arriving meanwhile may still be on their way.
            let original = (0..HIGH).any(|n| i["customer_id"] == customer(n).as_str());
            if original {
                assert_eq!(i["last_alert"]["status"], "sent", "{i}");
                assert!(!i["reasons"].as_array().expect("reasons").is_empty());
            }
        }
        // New High customers arrive while the admin pages.
        add_customer(&p.app, extra, true).await;
        extra += 1;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no row repeated: {ids:?}");
    for n in 0..HIGH {
        assert!(
            unique.contains(customer(n).as_str()),
            "{} skipped",
            customer(n)
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0].1 >= w[1].1),
        "ordered by score, highest first"
    );

    // Let the customers added while paging settle (scored and decided).
    let added = (extra - HIGH - LOW) as i64;
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions",
        HIGH as i64 + added,
    )
    .await;
    wait_count(
        &p.app,
        "SELECT count(*) FROM customer_risk WHERE recorded_band = 'High'",
        HIGH as i64 + added,
    )
    .await;
    let low = json_of(
        get(
            &p,
            "/v1/admin/customers?band=Low&sort=customer_id&limit=200",
        )
        .await,
    )
    .await;
    assert_eq!(low["items"].as_array().expect("items").len(), LOW);
    let busy = json_of(
        get(
            &p,
            "/v1/admin/customers?min_utilisation=0.9&max_utilisation=1",
        )
        .await,
    )
    .await;
    assert!(busy["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["utilisation"].as_f64().expect("u") >= 0.9));
    let rule = busy["items"][0]["fired_rules"][0]
        .as_str()
        .expect("a fired rule")
        .to_owned();
    let by_rule =
        json_of(get(&p, &format!("/v1/admin/customers?rule={rule}&limit=200")).await).await;
    assert!(by_rule["items"].as_array().expect("items").len() >= HIGH);
    let first = json_of(get(&p, "/v1/admin/customers?limit=2").await).await;
    let c = first["next_cursor"].as_str().expect("cursor");
    assert_bad_param(
        &p,
        &format!("/v1/admin/customers?sort=score&cursor={c}"),
        "cursor",
    )
    .await;
    assert_bad_param(&p, "/v1/admin/customers?cursor=garbage", "cursor").await;
    assert_bad_param(&p, "/v1/admin/customers?limit=0", "limit").await;
    assert_bad_param(&p, "/v1/admin/customers?limit=201", "limit").await;
    assert_bad_param(&p, "/v1/admin/customers?band=Severe", "band").await;
    assert_bad_param(&p, "/v1/admin/customers?sort=name", "sort").await;
    assert_bad_param(
        &p,
        "/v1/admin/customers?min_utilisation=abc",
        "min_utilisation",
    )
    .await;
    assert_bad_param(
        &p,
        "/v1/admin/customers?min_utilisation=2&max_utilisation=1",
        "min_utilisation",
    )
    .await;
}

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
    for _ in 0..1_000 {
        if p.inbox
            .list(Some(phone), 10)
            .iter()
            .any(|m| m.template == "risk_alert")
        {
            break;
        }
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

#[tokio::test]
async fn migrations_count_customers_not_decisions() {
    let p = portfolio().await;
    // C-000 goes High -> Low -> High again: three decisions, one customer
    // on Low -> High.
    let mut refund = transaction("T-0-R", 9_000_000);
    refund["kind"] = json!("refund");
    refund["occurred_at"] = json!("2026-02-02T10:00:00Z");
    let r = p
        .app
        .post("/v1/customers/C-000/transactions", &refund)
        .await;
    assert_eq!(r.status(), 201);
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions WHERE customer_id = 'C-000'",
        2,
    )
    .await;
    let mut again = transaction("T-0-B", 9_000_000);
    again["occurred_at"] = json!("2026-02-03T10:00:00Z");
    let r = p.app.post("/v1/customers/C-000/transactions", &again).await;
    assert_eq!(r.status(), 201);
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions WHERE customer_id = 'C-000'",
        3,
    )
    .await;
    let body = json_of(get(&p, "/v1/admin/portfolio?from=2026-01-25&to=2026-02-05").await).await;
    let moved = |from: &str, to: &str| {
        body["migrations"]
            .as_array()
            .expect("migrations")
            .iter()
            .find(|m| m["from"] == from && m["to"] == to)
            .map_or(0, |m| m["customers"].as_i64().expect("customers"))
    };
    assert_eq!(moved("Low", "High"), HIGH as i64, "{body}");
    assert_eq!(moved("High", "Low"), 1, "{body}");
}

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
