//! A faithful local fake of the Cloud API, served over real HTTP (axum).
//!
//! It checks the bearer token, validates templates against a registry of
//! approved templates (name, language, parameter count), returns `wamid.`
//! ids, records every accepted message, enforces throughput and per-recipient
//! limits, can be told to fail or to go down, and posts signed status
//! webhooks back (sent → delivered → read, or failed), optionally duplicated
//! and out of order. Randomness (wamids, shuffles) comes from a seeded RNG so
//! runs are reproducible.
//!
//! # Layout
//! - this file: [`FakeConfig`], [`FakeWhatsApp`], [`FakeHandle`], [`serve`].
//! - `state`: shared state, limits and error injection.
//! - `api`: the router and the `POST /{version}/{phone_id}/messages` handler.
//! - `callbacks`: signed status webhooks.
//! - `control`: `/_fake/…` routes to inject errors, outages and delays.

mod api;
mod callbacks;
mod control;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use state::RecordedMessage;
use state::{lock, Shared};

/// A template the fake treats as APPROVED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedTemplate {
    /// Template name.
    pub name: String,
    /// Approved language code.
    pub language: String,
    /// Number of body parameters it expects.
    pub body_params: usize,
    /// Whether it has a copy-code (URL) button expecting one parameter.
    pub copy_code: bool,
}

impl ApprovedTemplate {
    /// A utility template with `body_params` placeholders.
    pub fn utility(name: &str, language: &str, body_params: usize) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            body_params,
            copy_code: false,
        }
    }

    /// An authentication template: one body parameter and a copy-code button.
    pub fn authentication(name: &str, language: &str) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            body_params: 1,
            copy_code: true,
        }
    }
}

/// Where and how the fake posts status webhooks.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// Receiver URL.
    pub url: String,
    /// App secret used for `X-Hub-Signature-256`.
    pub app_secret: Vec<u8>,
}

/// Fake configuration; [`FakeConfig::default`] mirrors the real defaults.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Phone number id accepted in the URL.
    pub phone_number_id: String,
    /// Bearer token accepted.
    pub token: String,
    /// Approved templates.
    pub templates: Vec<ApprovedTemplate>,
    /// Messages per `throughput_window` per business number (real: 80/s).
    pub throughput: u32,
    /// Window of the throughput limit (1 s; longer makes tests deterministic).
    pub throughput_window: Duration,
    /// Per-recipient burst before 131056.
    pub per_recipient_burst: u32,
    /// Per-recipient refill: one more message per interval (real: ~6 s).
    pub per_recipient_interval: Duration,
    /// Status webhook target; none means no callbacks.
    pub webhook: Option<WebhookTarget>,
    /// Recipients (as sent in `to`) whose messages fail with 131026.
    pub undeliverable: Vec<String>,
    /// Send every status webhook twice.
    pub duplicate_callbacks: bool,
    /// Shuffle the status webhooks of each message.
    pub out_of_order_callbacks: bool,
    /// Seed for wamids and shuffles.
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            phone_number_id: "106500000000".into(),
            token: "fake-token".into(),
            templates: vec![
                ApprovedTemplate::utility("hello_world", "en_US", 0),
                ApprovedTemplate::utility("risk_alert", "en", 2),
                ApprovedTemplate::utility("welcome", "en", 1),
                ApprovedTemplate::authentication("otp_code", "en"),
            ],
            throughput: 80,
            throughput_window: Duration::from_secs(1),
            per_recipient_burst: 45,
            per_recipient_interval: Duration::from_secs(6),
            webhook: None,
            undeliverable: Vec::new(),
            duplicate_callbacks: false,
            out_of_order_callbacks: false,
            seed: 42,
        }
    }
}

/// Entry point for starting the fake.
#[derive(Debug)]
pub struct FakeWhatsApp;

impl FakeWhatsApp {
    /// Start on `127.0.0.1:0` in the background and return a handle.
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let app = api::router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake whatsapp server stopped");
            }
        });
        Ok(FakeHandle {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            task,
        })
    }
}

/// Serve the fake on `addr` until the process stops (for a CLI subcommand).
pub async fn serve(addr: SocketAddr, config: FakeConfig) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "fake whatsapp listening");
    axum::serve(listener, api::router(Arc::new(Shared::new(config)))).await
}

/// A running fake; dropping it stops the server.
#[derive(Debug)]
pub struct FakeHandle {
    /// `http://127.0.0.1:<port>`, to use as the client's base URL.
    pub base_url: String,
    /// Bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeHandle {
    /// Every accepted message, in acceptance order.
    pub fn messages(&self) -> Vec<RecordedMessage> {
        lock(&self.shared.inner).messages.clone()
    }

    /// Fail the next `n` sends (after the token check) with `code`.
    pub fn fail_next(&self, n: usize, code: i64) {
        let mut inner = lock(&self.shared.inner);
        for _ in 0..n {
            inner.injected.push_back(code);
        }
    }

    /// An outage window: every send fails with code 2 for `length`.
    pub fn outage_for(&self, length: Duration) {
        lock(&self.shared.inner).down_until = Some(std::time::Instant::now() + length);
    }

    /// Simulate an outage: every send gets HTTP 503 with code 2.
    pub fn set_down(&self, down: bool) {
        lock(&self.shared.inner).down = down;
    }

    /// Answer accepted sends only after `delay` (the message is recorded and
    /// its webhooks posted first): a slow API whose answers clients time out on.
    pub fn set_response_delay(&self, delay: Duration) {
        lock(&self.shared.inner).response_delay = delay;
    }

    /// Number of status webhooks delivered (2xx from the receiver).
    pub fn callbacks_delivered(&self) -> usize {
        lock(&self.shared.inner).callbacks_delivered
    }
}

impl Drop for FakeHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
