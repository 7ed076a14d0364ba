//! The audit API over real HTTP, on decisions made by the real read side:
//! records, replay (match, and a named difference after an edit in SQL),
//! state as of a log position and a time (alerts included), the role check,
//! and the audit trail — every answered read recorded with who asked and
//! which request, and refused requests recording nothing.

mod common;

use std::time::Duration;

use api::auth::Role;
use common::*;
use serde_json::{json, Value};

struct Audited {
    app: TestApp,
    auditor: String,
}

async fn scalar<T>(app: &TestApp, sql: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .expect("scalar")
}

async fn wait_count(app: &TestApp, sql: &str, want: i64) {
    for _ in 0..3_000 {
        if scalar::<i64>(app, sql).await >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {sql} >= {want}");
}

/// Two customers: C-HIGH goes over 95% of its limit (a High decision), then
/// gets a manual alert; C-LOW spends little (no decision).
async fn audited() -> Audited {
    let app = spawn_app_with_read_side().await;
    for (id, phone, amount) in [
        ("C-HIGH", "+919811111111", 9_600_000),
        ("C-LOW", "+919822222222", 100_000),
    ] {
        let mut reg = registration(id);
        reg["phone"] = json!(phone);
        assert_eq!(app.post("/v1/customers", &reg).await.status(), 201);
        let r = app
            .post(
                &format!("/v1/customers/{id}/transactions"),
                &transaction(&format!("T-{id}"), amount),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    wait_count(
        &app,
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'",
        1,
    )
    .await;
    let admin = app
        .tokens
        .issue("alice", Role::Admin, chrono::Utc::now().timestamp());
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/customers/C-HIGH/alerts", app.base))
        .bearer_auth(&admin)
        .json(&json!({"reason": "called the branch"}))
        .send()
        .await
        .expect("raise");
    assert_eq!(r.status(), 202);
    let auditor = app
        .tokens
        .issue("audrey", Role::Auditor, chrono::Utc::now().timestamp());
    Audited { app, auditor }
}

async fn call(a: &Audited, method: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let url = format!("{}{path}", a.app.base);
    let c = reqwest::Client::new();
    let mut r = if method == "POST" {
        c.post(url)
    } else {
        c.get(url)
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("send")
}

async fn ok_json(r: reqwest::Response) -> (String, Value) {
    assert_eq!(r.status(), 200);
    let request_id = r
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .expect("ascii")
        .to_owned();
    (request_id, r.json().await.expect("json"))
}

/// The reads on the trail of `reader`: (query, decision, request id).
async fn trail(a: &Audited, reader: &str) -> Vec<(String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT payload->'AuditReadRecorded'->>'query', payload->'AuditReadRecorded'->>'decision_id', \
                payload->'AuditReadRecorded'->>'request_id' \
         FROM events WHERE aggregate_type = 'audit_trail' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(reader)
    .fetch_all(&a.app.db.pool)
    .await
    .expect("trail")
}

#[tokio::test]
async fn an_auditor_reads_replays_and_every_read_is_on_the_trail() {
    let a = audited().await;
    let t = Some(a.auditor.as_str());
    // The decision as the log holds it (not as the API reports it).
    let (decision_id, model_version): (String, String) = sqlx::query_as(
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id', \
                payload->'RiskAssessed'->'assessment'->>'model_version' \
         FROM events WHERE event_type = 'RiskAssessed' AND aggregate_id = 'C-HIGH'",
    )
    .fetch_one(&a.app.db.pool)
    .await
    .expect("the decision");

    let (rid1, list) =
        ok_json(call(&a, "GET", "/v1/audit/customers/C-HIGH/decisions", t).await).await;
    let decisions = list["decisions"].as_array().expect("decisions");
    assert_eq!(decisions.len(), 1, "{list}");
    let d = &decisions[0];
    assert_eq!(d["decision_id"], decision_id.as_str());
    assert_eq!(d["model_version"], model_version.as_str());
    assert_eq!(d["band"], "High");
    assert_eq!(d["band_before"], "Low");
    assert_eq!(d["trigger_event"]["event_type"], "TransactionRecorded");
    assert!(d["features"]["utilisation"].as_f64().expect("utilisation") > 0.9);
    let followed: Vec<&str> = d["followed_by"]
        .as_array()
        .expect("followed_by")
        .iter()
        .map(|e| e["event_type"].as_str().expect("type"))
        .collect();
    assert!(followed.contains(&"AlertRaised"), "{followed:?}");

    let (rid2, one) =
        ok_json(call(&a, "GET", &format!("/v1/audit/decisions/{decision_id}"), t).await).await;
    assert_eq!(&one, d);

    let (rid3, replay) = ok_json(
        call(
            &a,
            "POST",
            &format!("/v1/audit/decisions/{decision_id}/replay"),
            t,
        )
        .await,
    )
    .await;
    assert_eq!(replay["outcome"], "match", "{replay}");
    assert_eq!(replay["diffs"], json!([]));
    assert_eq!(replay["model_version"], model_version.as_str());

    // As of the decision's own position: High, the manual alert not yet raised.
    let position: i64 = scalar(
        &a.app,
        "SELECT global_position FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    let (rid4, then) = ok_json(
        call(
            &a,
            "GET",
            &format!("/v1/audit/customers/C-HIGH/state?position={position}"),
            t,
        )
        .await,
    )
    .await;
    assert_eq!(then["band"], "High", "{then}");
    assert_eq!(then["decision"]["decision_id"], decision_id.as_str());
    assert_eq!(then["sections"]["alerts"]["all"], json!([]), "{then}");
    // Now (a time after everything): the manual alert is open.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (rid5, later) = ok_json(
        call(
            &a,
            "GET",
            &format!(
                "/v1/audit/customers/C-HIGH/state?as_of={}",
                now.replace('+', "%2B")
            ),
            t,
        )
        .await,
    )
    .await;
    let open = later["sections"]["alerts"]["open"]
        .as_array()
        .expect("open alerts");
    assert_eq!(open.len(), 1, "{later}");
    assert_eq!(open[0]["cause"]["kind"], "manual");
    // Before the customer existed: nothing known yet, and no band.
    let (_, before) = ok_json(
        call(
            &a,
            "GET",
            "/v1/audit/customers/C-HIGH/state?as_of=2000-01-01T00:00:00Z",
            t,
        )
        .await,
    )
    .await;
    assert_eq!(before["events"], 0);
    assert_eq!(before["band"], Value::Null);
    assert_eq!(before["known"], false);
    assert_eq!(before["meaning"], "nothing known yet");
    assert_eq!(before["time"], "recording");

    // Six answered reads, each on the trail with its request id, in order.
    let reads = trail(&a, "audrey").await;
    let ids: Vec<&str> = reads.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(
        ids[..5],
        [&rid1, &rid2, &rid3, &rid4, &rid5].map(String::as_str)
    );
    assert_eq!(reads.len(), 6);
    let queries: Vec<&str> = reads.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        queries,
        [
            "customer_decisions",
            "decision",
            "replay",
            "state_as_of",
            "state_as_of",
            "state_as_of"
        ]
    );
    assert_eq!(reads[2].1.as_deref(), Some(decision_id.as_str()));
    // The same question in business time names its clock.
    let (_, business) = ok_json(
        call(
            &a,
            "GET",
            "/v1/audit/customers/C-HIGH/state?as_of=2030-01-01T00:00:00Z&time=business",
            t,
        )
        .await,
    )
    .await;
    assert_eq!(business["time"], "business");
    assert_eq!(business["known"], true);
    assert_eq!(business["features_as_of"], "2030-01-01T00:00:00Z");
    assert!(business["meaning"]
        .as_str()
        .expect("meaning")
        .contains("business time"));
    // The trail's events name the reader as their actor.
    let actors: i64 = scalar(
        &a.app,
        "SELECT count(*) FROM events WHERE aggregate_type = 'audit_trail' \
         AND metadata->>'actor' = 'auditor:audrey'",
    )
    .await;
    assert_eq!(actors, 7, "the six reads and the business-time one");
    // With neither a moment nor a position the state is as of now: the same
    // open manual alert as the explicit "now" above.
    let (_, current) = ok_json(call(&a, "GET", "/v1/audit/customers/C-HIGH/state", t).await).await;
    assert_eq!(current["time"], "recording");
    assert_eq!(current["known"], true);
    assert_eq!(
        current["sections"]["alerts"]["open"],
        later["sections"]["alerts"]["open"]
    );
}

#[tokio::test]
async fn an_edited_decision_replays_to_a_named_difference() {
    let a = audited().await;
    let (decision_id, sequence): (String, i64) = sqlx::query_as(
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id', sequence \
         FROM events WHERE event_type = 'RiskAssessed' AND aggregate_id = 'C-HIGH'",
    )
    .fetch_one(&a.app.db.pool)
    .await
    .expect("the decision");
    let mut conn = a.app.db.pool.acquire().await.expect("connection");
    for sql in [
        "SET session_replication_role = replica",
        "UPDATE events SET payload = jsonb_set(payload, \
         '{RiskAssessed,assessment,features,utilisation}', '0.5') \
         WHERE aggregate_id = 'C-HIGH' AND sequence = $1",
        "SET session_replication_role = origin",
    ] {
        sqlx::query(sql)
            .bind(sequence)
            .execute(&mut *conn)
            .await
            .expect("tamper");
    }
    drop(conn);
    let path = format!("/v1/audit/decisions/{decision_id}/replay");
    let (_, replay) = ok_json(call(&a, "POST", &path, Some(&a.auditor)).await).await;
    assert_eq!(replay["outcome"], "mismatch", "{replay}");
    let fields: Vec<&str> = replay["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert!(fields.contains(&"features.utilisation"), "{replay}");
    let diff = &replay["diffs"][fields
        .iter()
        .position(|f| *f == "features.utilisation")
        .expect("utilisation")];
    let recorded = diff["recorded"].as_str().expect("recorded");
    assert!(recorded.starts_with("0.5 "), "{diff}");
    assert_ne!(diff["replayed"], diff["recorded"]);
}

#[tokio::test]
async fn refused_requests_answer_nothing_and_record_nothing() {
    let a = audited().await;
    let decision_id: String = scalar(
        &a.app,
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id' \
         FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    let others = [
        a.app.tokens.issue("alice", Role::Admin, now),
        a.app.tokens.issue("C-HIGH", Role::Customer, now),
        a.app.tokens.issue("bank-core", Role::Ingest, now),
    ];
    let routes = [
        ("GET", "/v1/audit/customers/C-HIGH/decisions".to_owned()),
        ("GET", format!("/v1/audit/decisions/{decision_id}")),
        ("POST", format!("/v1/audit/decisions/{decision_id}/replay")),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?as_of=2026-01-01T00:00:00Z".to_owned(),
        ),
    ];
    let before = a.app.event_count().await;
    for (method, path) in &routes {
        assert_eq!(call(&a, method, path, None).await.status(), 401, "{path}");
        for t in &others {
            assert_eq!(
                call(&a, method, path, Some(t)).await.status(),
                403,
                "{path}"
            );
        }
    }
    // Bad requests from an auditor: 400 naming the parameter.
    let t = Some(a.auditor.as_str());
    for (method, path, field) in [
        ("GET", "/v1/audit/decisions/no-position", "decision_id"),
        (
            "POST",
            "/v1/audit/decisions/C-HIGH:12x/replay",
            "decision_id",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/decisions?limit=0",
            "limit",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/decisions?after=-1",
            "after",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/decisions?follow_limit=5000",
            "follow_limit",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/decisions?sort=band",
            "sort",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?as_of=yesterday",
            "as_of",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?position=0",
            "position",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?position=1&as_of=2026-01-01T00:00:00Z",
            "position",
        ),
        (
            "GET",
            "/v1/audit/customers/bad%20id/state?position=1",
            "customer_id",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?as_of=2026-01-01T00:00:00Z&time=sideways",
            "time",
        ),
        (
            "GET",
            "/v1/audit/customers/C-HIGH/state?position=1&time=business",
            "time",
        ),
    ] {
        let r = call(&a, method, path, t).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: Value = r.json().await.expect("problem");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }
    assert_eq!(
        a.app.event_count().await,
        before,
        "a refused request left an event"
    );

    // Well-formed reads of things that do not exist are answered 404 — and,
    // being reads, are on the trail.
    for (method, path) in [
        ("GET", "/v1/audit/customers/C-NOBODY/decisions"),
        ("GET", "/v1/audit/decisions/C-LOW:1"),
        ("POST", "/v1/audit/decisions/C-HIGH:999999/replay"),
        (
            "GET",
            "/v1/audit/customers/C-NOBODY/state?as_of=2026-01-01T00:00:00Z",
        ),
    ] {
        let r = call(&a, method, path, t).await;
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.expect("problem");
        assert!(
            body["detail"].as_str().expect("detail").starts_with("no "),
            "{body}"
        );
    }
    assert_eq!(trail(&a, "audrey").await.len(), 4);
}

#[tokio::test]
async fn concurrent_reads_by_one_auditor_are_all_recorded_once() {
    let a = audited().await;
    let decision_id: String = scalar(
        &a.app,
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id' \
         FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    let url = format!("{}/v1/audit/decisions/{decision_id}", a.app.base);
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (url, token) = (url.clone(), a.auditor.clone());
        reads.spawn(async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("send")
        });
    }
    let mut ids = Vec::new();
    while let Some(r) = reads.join_next().await {
        let (id, _) = ok_json(r.expect("read")).await;
        ids.push(id);
    }
    let mut recorded: Vec<String> = trail(&a, "audrey").await.into_iter().map(|r| r.2).collect();
    ids.sort();
    recorded.sort();
    assert_eq!(recorded, ids);
}
