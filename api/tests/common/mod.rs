//! Spawns the real application on a free port against a fresh database.
#![allow(dead_code)]

use serde_json::{json, Value};
use store::testing::{fresh_database, TestDatabase};

pub struct TestApp {
    pub base: String,
    pub db: TestDatabase,
    /// Sends an `ingest` token with every request.
    pub client: reqwest::Client,
    /// Issues tokens the app accepts.
    pub tokens: api::auth::Tokens,
    pub state: api::http::AppState,
}

/// The secret the test apps sign tokens with.
pub const TEST_SECRET: &[u8] = b"test-secret-of-at-least-32-bytes-long";

pub fn test_auth() -> api::auth::AuthSettings {
    api::auth::AuthSettings::with_secret(TEST_SECRET.to_vec(), 30).expect("test secret")
}

pub async fn spawn_app() -> TestApp {
    spawn(false).await
}

/// The app with its projection runners, as `serve` runs it.
pub async fn spawn_app_with_read_side() -> TestApp {
    spawn(true).await
}

/// Registers the demo model and starts the read side (runners, scoring,
/// decision recorder) as `serve` does; it runs until the test's runtime ends.
pub async fn start_read_side(db: &TestDatabase, state: &api::http::AppState) {
    let model = std::sync::Arc::new(domain::risk::demo_artifact());
    store::registry::register(&db.pool, &model)
        .await
        .expect("register model");
    std::mem::forget(projections::supervisor::ReadSide::start(
        projections::supervisor::ReadSideConfig {
            pool: db.pool.clone(),
            lag: state.lag.clone(),
            notifier: Some(state.notifier.clone()),
            model,
            bus: state.customers.clone(),
            // A small stretch, so the suite also runs through its trimming.
            tail: Some(std::sync::Arc::new(store::events::tail::LogTail::new(64))),
        },
    ));
}

async fn spawn(read_side: bool) -> TestApp {
    let db = fresh_database().await;
    let state = api::http::AppState::new(db.pool.clone()).with_auth(&test_auth());
    if read_side {
        start_read_side(&db, &state).await;
    }
    let base = serve(state.clone()).await;
    let tokens = api::auth::Tokens::new(&test_auth());
    let ingest = tokens.issue(
        "bank-core",
        api::auth::Role::Ingest,
        chrono::Utc::now().timestamp(),
    );
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {ingest}")).expect("header"),
    );
    TestApp {
        base,
        db,
        client: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client"),
        tokens,
        state,
    }
}

/// Serves the router over `state` on a free port as `serve` does (with the
/// peer address, which keys the sign-in rate limits); returns its base URL.
pub async fn serve(state: api::http::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app =
        api::http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

impl TestApp {
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }

    pub async fn register(&self, id: &str) {
        let resp = self.post("/v1/customers", &registration(id)).await;
        assert_eq!(resp.status(), 201, "registering {id}");
    }
}

/// Waits until the read side has settled: every projection of
/// [`projections::supervisor::PROJECTIONS`] has its checkpoint, no
/// checkpoint (theirs or the alert runners') is behind the log in commit
/// order, and no decision waits to be recorded. One statement, so one
/// snapshot: checked apart, a decision recorded between the checks (its
/// event committed, then its outbox row deleted) would look settled before
/// the views applied it. Fails the test after 60 s.
pub async fn wait_read_side_settled(app: &TestApp) {
    let names: Vec<String> = projections::supervisor::PROJECTIONS
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let limit = std::time::Duration::from_secs(60);
    let deadline = std::time::Instant::now() + limit;
    loop {
        let settled: bool = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM projection_checkpoints WHERE name = ANY($1)) = $2 \
                AND NOT EXISTS (SELECT 1 FROM projection_checkpoints c, events e \
                                WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position)) \
                AND NOT EXISTS (SELECT 1 FROM decision_outbox WHERE last_error IS NULL)",
        )
        .bind(&names)
        .bind(names.len() as i64)
        .fetch_one(&app.db.pool)
        .await
        .expect("settled");
        if settled {
            return;
        }
        if std::time::Instant::now() >= deadline {
            let state: Vec<(String, i64, i64, Option<String>)> = sqlx::query_as(
                "SELECT c.name, c.position, \
                        (SELECT count(*) FROM events e \
                          WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position)), \
                        c.last_error \
                 FROM projection_checkpoints c ORDER BY c.name",
            )
            .fetch_all(&app.db.pool)
            .await
            .expect("checkpoints");
            let pending: i64 =
                sqlx::query_scalar("SELECT count(*) FROM decision_outbox WHERE last_error IS NULL")
                    .fetch_one(&app.db.pool)
                    .await
                    .expect("outbox");
            panic!(
                "the read side did not settle within {limit:?}: checkpoints \
                 (name, position, events behind, error) {state:?}, \
                 {pending} decisions waiting to be recorded"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub fn registration(id: &str) -> Value {
    json!({"customer_id": id, "name": "Asha Rao", "phone": "+919800000001",
           "credit_limit_minor": 10_000_000, "currency": "INR", "opened_at": "2026-01-01T00:00:00Z"})
}

pub fn transaction(id: &str, amount: i64) -> Value {
    json!({"transaction_id": id, "amount_minor": amount, "currency": "INR", "kind": "purchase",
           "merchant_category_code": "5411", "merchant_name": "Fresh Mart", "channel": "pos",
           "occurred_at": "2026-02-01T10:00:00Z"})
}

/// The alert machinery (policy, outbox, dispatcher) over the local
/// in-memory adapter, as the embedded default runs it; with `codes`, it also
/// sends one-time codes.
pub fn local_alerts(
    app: &TestApp,
    codes: bool,
) -> (std::sync::Arc<alerts::LocalInbox>, alerts::AlertsRuntime) {
    // The fixtures' facts are dated early 2026: no age limit here
    // (`alerting_stale.rs` tests it); nor a budget, which a portfolio of a
    // few customers opened days before its decisions has not earned yet
    // (`alert_budget.rs` tests it).
    let policy = alerts::AlertPolicy {
        max_age: None,
        budget: domain::alert_budget::AlertBudget::of_share(1.0),
        ..Default::default()
    };
    local_alerts_with(app, codes, policy)
}

/// [`local_alerts`] with the given escalation policy.
pub fn local_alerts_with(
    app: &TestApp,
    codes: bool,
    policy: alerts::AlertPolicy,
) -> (std::sync::Arc<alerts::LocalInbox>, alerts::AlertsRuntime) {
    let inbox = std::sync::Arc::new(alerts::LocalInbox::default());
    let runtime = alerts::AlertsRuntime::start(alerts::AlertsConfig {
        pool: app.db.pool.clone(),
        bus: app.state.customers.clone(),
        lag: app.state.lag.clone(),
        notifier: Some(app.state.notifier.clone()),
        policy,
        dispatch: alerts::DispatchConfig {
            poll: std::time::Duration::from_millis(20),
            recipient_interval: std::time::Duration::ZERO,
            ..alerts::DispatchConfig::default()
        },
        adapter: alerts::Adapter::Local(inbox.clone()),
        codes: codes.then(|| alerts::dispatcher::CodeSender {
            logins: app.state.logins.clone(),
            keys: app.state.otp_keys.clone(),
        }),
        tail: Some(std::sync::Arc::new(store::events::tail::LogTail::new(64))),
    });
    (inbox, runtime)
}
