//! The portfolio the admin and customer read tests share: customers built
//! through the ingest API (some High), scored by the real read side and
//! alerted through the real dispatcher, and the helpers that read it.

mod customer_detail;
mod own_page;
mod portfolio_lists;

use std::sync::Arc;
use std::time::Duration;

use alerts::{AlertsRuntime, LocalInbox};
use api::auth::Role;
use serde_json::{json, Value};

use crate::common::*;

pub(crate) const HIGH: usize = 8;
pub(crate) const LOW: usize = 12;

pub(crate) struct Portfolio {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) inbox: Arc<LocalInbox>,
    _alerts: AlertsRuntime,
}

pub(crate) fn customer(n: usize) -> String {
    format!("C-{n:03}")
}

pub(crate) async fn add_customer(app: &TestApp, n: usize, high: bool) {
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

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

pub(crate) async fn wait_count(app: &TestApp, sql: &str, want: i64) {
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

pub(crate) async fn portfolio() -> Portfolio {
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
    // The band filters read the recorded band, which scoring sets when it
    // applies the recorded decision: later than the decisions view above.
    wait_count(
        &app,
        "SELECT count(*) FROM customer_risk WHERE recorded_band = 'High'",
        HIGH as i64,
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

pub(crate) async fn get(p: &Portfolio, path: &str) -> reqwest::Response {
    get_as(p, path, Some(&p.admin)).await
}

pub(crate) async fn get_as(p: &Portfolio, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new().get(format!("{}{path}", p.app.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("get")
}

pub(crate) async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

pub(crate) async fn assert_bad_param(p: &Portfolio, path: &str, param: &str) {
    let r = get(p, path).await;
    assert_eq!(r.status(), 400, "{path}");
    let body = json_of(r).await;
    assert_eq!(body["errors"][0]["field"], param, "{path}: {body}");
}
