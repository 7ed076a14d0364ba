//! Shared test helpers: a fake + client pair and a webhook receiver that
//! collects raw bodies and signature headers over real HTTP.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use whatsapp::{CloudApiClient, FakeConfig, FakeHandle, FakeWhatsApp};

pub const TOKEN: &str = "test-token";
pub const SECRET: &[u8] = b"app-secret";

/// A config with the test token.
pub fn config() -> FakeConfig {
    FakeConfig {
        token: TOKEN.into(),
        ..FakeConfig::default()
    }
}

/// Start the fake and a client pointed at it with `token`.
pub async fn start(config: FakeConfig, token: &str) -> (FakeHandle, CloudApiClient) {
    let phone = config.phone_number_id.clone();
    let fake = FakeWhatsApp::start(config).await.expect("start fake");
    let client = CloudApiClient::new(&fake.base_url, "v21.0", &phone, token).expect("client");
    (fake, client)
}

/// One received webhook: the signature header and the raw body.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

/// A webhook receiver on 127.0.0.1:0.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn collect(
    State(got): State<Arc<Mutex<Vec<Received>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    got.lock().expect("lock").push(Received {
        signature,
        body: body.to_vec(),
    });
    "ok"
}

impl Receiver {
    pub async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/webhook", post(collect))
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve receiver");
        });
        Self {
            url: format!("http://{addr}/webhook"),
            got,
            task,
        }
    }

    /// Waits until at least `n` webhooks arrived and returns them; fails the
    /// test after [`PATIENCE`].
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let got = self.got.lock().expect("lock").clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {n} webhooks at the receiver, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// How long any one awaited condition may take before the test fails
/// (generous: CI is a slow machine).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Waits until the fake has counted `n` webhooks as delivered (it counts
/// one only after reading the receiver's answer, so after the receiver
/// holds it); fails the test after [`PATIENCE`].
pub async fn wait_delivered(fake: &FakeHandle, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let delivered = fake.callbacks_delivered();
        if delivered >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for the fake to count {n} webhooks delivered, got {delivered}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Tweak a config in a closure (keeps test arrange blocks short).
pub struct FakeConfigExt;

impl FakeConfigExt {
    pub fn with(mut c: FakeConfig, f: impl FnOnce(&mut FakeConfig)) -> FakeConfig {
        f(&mut c);
        c
    }
}
