//! A harness for alert tests: the real HTTP app (webhook routes included) on
//! a free port, the WhatsApp fake posting signed status webhooks back to it,
//! and the alert runtime sending to the fake over real HTTP.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alerts::webhook::DeliveryRecorder;
use alerts::{Adapter, AlertPolicy, AlertsConfig, AlertsRuntime, DispatchConfig, Secret};
use api::http::webhooks::WebhookState;
use api::http::AppState;
use chrono::{DateTime, Utc};
use domain::customer::*;
use domain::values::*;
use store::testing::{fresh_database, TestDatabase};
use store::Metadata;
use whatsapp::client::CloudApiClient;
use whatsapp::fake::{FakeConfig, FakeHandle, FakeWhatsApp, WebhookTarget};

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

pub struct Harness {
    pub db: TestDatabase,
    pub state: AppState,
    pub base: String,
    pub fake: FakeHandle,
    pub http: reqwest::Client,
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("timestamp")
        .with_timezone(&Utc)
}

/// Starts the app and the fake; `callbacks` decides whether the fake posts
/// status webhooks to the app.
pub async fn harness(mut fake_config: FakeConfig, callbacks: bool) -> Harness {
    let db = fresh_database().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    if callbacks {
        fake_config.webhook = Some(WebhookTarget {
            url: format!("{base}/v1/webhooks/whatsapp"),
            app_secret: APP_SECRET.as_bytes().to_vec(),
        });
    }
    let fake = FakeWhatsApp::start(fake_config).await.expect("fake");
    let state = AppState::new(db.pool.clone());
    let state = state.clone().with_webhooks(WebhookState {
        app_secret: Some(Secret::new(APP_SECRET)),
        verify_token: Some(Secret::new(VERIFY_TOKEN)),
        recorder: DeliveryRecorder::new(state.pool.clone(), state.customers.clone()),
        local_inbox: None,
    });
    let app = api::http::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Harness {
        db,
        state,
        base,
        fake,
        http: reqwest::Client::new(),
    }
}

/// Fast retries for tests; the limits of the fake stay the real ones.
pub fn quick_dispatch() -> DispatchConfig {
    DispatchConfig {
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(400),
        max_attempts: 1_000,
        poll: Duration::from_millis(20),
        ..DispatchConfig::default()
    }
}

impl Harness {
    /// The Cloud API adapter pointed at the fake.
    pub fn cloud(&self, timeout: Duration) -> Adapter {
        Adapter::Cloud(
            CloudApiClient::with_timeout(
                &self.fake.base_url,
                "v21.0",
                "106500000000",
                "fake-token",
                timeout,
            )
            .expect("client"),
        )
    }

    /// Starts the alert runtime (policy, outbox, dispatcher).
    pub fn start_alerts(
        &self,
        policy: AlertPolicy,
        dispatch: DispatchConfig,
        adapter: Adapter,
    ) -> AlertsRuntime {
        self.start_alerts_on(self.db.pool.clone(), policy, dispatch, adapter)
    }

    /// [`Self::start_alerts`] on a pool of its own, so that a test can crash
    /// the runtime as a process dies: its tasks aborted *and* its
    /// connections closed, which ends any transaction they held open. (Tasks
    /// aborted over the shared pool would hand a connection back mid-
    /// transaction, and an open writing transaction holds the log's reading
    /// horizon for every database of the cluster, other tests' included.)
    pub fn start_alerts_on(
        &self,
        pool: sqlx::PgPool,
        policy: AlertPolicy,
        dispatch: DispatchConfig,
        adapter: Adapter,
    ) -> AlertsRuntime {
        AlertsRuntime::start(AlertsConfig {
            pool,
            bus: self.state.customers.clone(),
            lag: self.state.lag.clone(),
            notifier: Some(self.state.notifier.clone()),
            policy,
            dispatch,
            adapter,
            codes: Some(alerts::dispatcher::CodeSender {
                logins: self.state.logins.clone(),
                keys: self.state.otp_keys.clone(),
            }),
            // Each runner reads the database itself here (the suite's
            // other apps share a stretch of the log).
            tail: None,
        })
    }

    pub async fn execute(&self, customer: &str, command: CustomerCommand) {
        let addressed = Addressed {
            customer_id: CustomerId::parse(customer).expect("id"),
            command,
        };
        self.state
            .customers
            .execute(
                customer,
                addressed,
                &Metadata::system("test", uuid::Uuid::new_v4().to_string()),
            )
            .await
            .expect("command");
    }

    /// Registers `customer` with phone `+9198` followed by `n` (8 digits).
    pub async fn register(&self, customer: &str, n: u32) {
        self.register_opened(customer, n, at("2026-01-01T00:00:00Z"))
            .await;
    }

    /// Registers `customer` (phone `n`) with the account opened at `opened`.
    pub async fn register_opened(&self, customer: &str, n: u32, opened: DateTime<Utc>) {
        self.execute(
            customer,
            CustomerCommand::RegisterCustomer(RegisterCustomer {
                name: CustomerName::parse("Asha Rao").expect("name"),
                phone: PhoneNumber::parse(&phone(n)).expect("phone"),
                credit_limit_minor: NonNegativeAmount::parse(10_000_000).expect("limit"),
                currency: Currency::parse("INR").expect("currency"),
                opened_at: opened,
            }),
        )
        .await;
    }

    /// Raises an escalation alert directly (as the policy would).
    pub async fn raise(&self, customer: &str, alert_id: &str, policy: &AlertPolicy) {
        self.execute(
            customer,
            CustomerCommand::RaiseAlert(Box::new(RaiseAlert {
                alert_id: ExternalId::parse(alert_id).expect("alert id"),
                cause: AlertCause::Escalation {
                    decision_id: format!("{customer}:1"),
                    band_before: domain::risk::Band::Low,
                    band: domain::risk::Band::High,
                    reason_codes: vec![],
                },
                template: policy.template.clone(),
                fallback: policy.fallback.clone(),
                raised_at: at("2026-03-01T10:00:00Z"),
                cooldown_seconds: 0,
                decided_at: None,
                max_age_seconds: None,
                withheld_by_budget: None,
            })),
        )
        .await;
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }

    pub async fn events_of(&self, event_type: &str) -> Vec<serde_json::Value> {
        sqlx::query_scalar(
            "SELECT payload -> $1 FROM events WHERE event_type = $1 ORDER BY global_position",
        )
        .bind(event_type)
        .fetch_all(&self.db.pool)
        .await
        .expect("events")
    }
}

pub fn phone(n: u32) -> String {
    format!("+9198{n:08}")
}

/// Polls `check` until it holds or `limit` passes (then fails with `what`).
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An `Arc` around the fake's messages count, for closures.
pub fn messages(fake: &FakeHandle) -> usize {
    fake.messages().len()
}

pub fn shared<T>(v: T) -> Arc<T> {
    Arc::new(v)
}

/// A High decision (utilisation 95% fires the over-limit rule) as the risk
/// engine would record it.
pub fn high_decision(decision_id: &str, as_of: &str) -> CustomerCommand {
    let model = domain::risk::demo_artifact();
    let quiet = domain::features::features_from_history(std::iter::empty(), at(as_of));
    let features = domain::features::Features {
        utilisation: 0.95,
        ..quiet
    };
    let a = domain::risk::assess(&model, &features);
    assert_eq!(a.band, domain::risk::Band::High);
    CustomerCommand::RecordRiskAssessment(Box::new(RecordRiskAssessment {
        decision_id: decision_id.into(),
        trigger: DecisionTrigger {
            sequence: 2,
            global_position: 2,
            event_type: "TransactionRecorded".into(),
        },
        checkpoint: LogCheckpoint {
            tx_id: 1,
            position: 2,
        },
        as_of: at(as_of),
        model_version: model.version(),
        rule_set_version: model.rules.version.clone(),
        features,
        scores: a.scores,
        fired_rules: a.fired_rules,
        band: a.band,
        explanation: a.explanation,
        reasons: a.reasons,
    }))
}

/// The newest global position written (committed), whatever other
/// transactions in the cluster are doing.
pub async fn last_position(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(pool)
        .await
        .expect("last position")
}

/// The default policy without an age limit: these fixtures' facts are dated
/// early 2026, long before the tests run (`alerting_stale.rs` tests the
/// limit). Nor a budget: a portfolio of a few customers opened days before
/// its decisions has none yet (`alert_budget.rs` tests it).
pub fn fixture_policy() -> AlertPolicy {
    AlertPolicy {
        max_age: None,
        budget: domain::alert_budget::AlertBudget::of_share(1.0),
        ..AlertPolicy::default()
    }
}
