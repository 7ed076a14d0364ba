//! Helpers for the browser tests: the app as `serve --demo` runs it (demo
//! customers, read side, local WhatsApp inbox that is public, alert
//! dispatcher sending one-time codes), plus chromedriver and a headless
//! Chromium driven over WebDriver.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use store::testing::{fresh_database, TestDatabase};

use crate::common::test_auth;

/// The demo auditor, as `serve --demo` creates it.
pub const AUDITOR: (&str, &str) = api::demo::DEMO_AUDITOR;

/// How long any one condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The app with demo data, as `serve --demo` runs it.
pub struct DemoApp {
    pub base: String,
    pub db: TestDatabase,
    pub inbox: Arc<alerts::LocalInbox>,
    pub tokens: api::auth::Tokens,
    _alerts: alerts::AlertsRuntime,
}

/// Starts the demo app and waits until every demo customer has a recorded
/// decision (the pages are only worth looking at once they do).
pub async fn spawn_demo_app() -> DemoApp {
    let db = fresh_database().await;
    let inbox = Arc::new(alerts::LocalInbox::default());
    let state = api::http::AppState::new(db.pool.clone())
        .with_auth(&test_auth())
        .with_demo(true);
    let webhooks = api::http::webhooks::WebhookState {
        app_secret: None,
        verify_token: None,
        recorder: alerts::webhook::DeliveryRecorder::new(db.pool.clone(), state.customers.clone()),
        local_inbox: Some(inbox.clone()),
    };
    let state = state.with_webhooks(webhooks);
    crate::common::start_read_side(&db, &state).await;
    let runtime = alerts::AlertsRuntime::start(alerts::AlertsConfig {
        pool: db.pool.clone(),
        bus: state.customers.clone(),
        lag: state.lag.clone(),
        notifier: Some(state.notifier.clone()),
        // The fixtures' facts are dated early 2026: no age limit here
        // (`alerting_stale.rs` tests it); three demo customers are no
        // portfolio to hold a budget on (`alert_budget.rs` tests it).
        policy: alerts::AlertPolicy {
            max_age: None,
            budget: domain::alert_budget::AlertBudget::of_share(1.0),
            ..Default::default()
        },
        dispatch: alerts::DispatchConfig {
            poll: Duration::from_millis(20),
            recipient_interval: Duration::ZERO,
            ..alerts::DispatchConfig::default()
        },
        adapter: alerts::Adapter::Local(inbox.clone()),
        codes: Some(alerts::dispatcher::CodeSender {
            logins: state.logins.clone(),
            keys: state.otp_keys.clone(),
        }),
        tail: Some(std::sync::Arc::new(store::events::tail::LogTail::default())),
    });
    let customers = api::demo::seed(&state.customers).await.expect("demo data");
    api::demo::seed_accounts(&db.pool)
        .await
        .expect("demo admin and auditor");
    let base = crate::common::serve(state.clone()).await;
    // Settled: every projection has applied the whole log and no decision
    // waits to be recorded (a recorded decision appends to the log, so both
    // hold together only once scoring has finished).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let settled: bool = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM customer_overview) = $1 \
                AND (SELECT count(*) FROM projection_checkpoints) > 0 \
                AND NOT EXISTS (SELECT 1 FROM projection_checkpoints c, events e \
                                WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position)) \
                AND NOT EXISTS (SELECT 1 FROM decision_outbox WHERE last_error IS NULL)",
        )
        .bind(customers as i64)
        .fetch_one(&db.pool)
        .await
        .expect("settled");
        if settled {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "demo data was not projected in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    DemoApp {
        base,
        db,
        inbox,
        tokens: api::auth::Tokens::new(&test_auth()),
        _alerts: runtime,
    }
}

impl DemoApp {
    /// GET with a token of `role` for `subject`.
    pub async fn get_as(&self, role: api::auth::Role, subject: &str, path: &str) -> Value {
        let token = self
            .tokens
            .issue(subject, role, chrono::Utc::now().timestamp());
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("json")
    }
}

/// chromedriver and a headless Chromium session; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    port: u16,
    session: Option<String>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium is chromedriver's child but outlives a killed chromedriver,
        // so first end the session (which quits Chromium), even when a failed
        // assertion is unwinding. Plain blocking HTTP: no runtime in drop.
        if let Some(id) = &self.session {
            use std::io::{Read, Write};
            if let Ok(mut tcp) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = write!(
                    tcp,
                    "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                );
                let _ = tcp.read_to_end(&mut Vec::new());
            }
        }
        // The child is ours alone (spawned below).
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    match std::env::var(env) {
        Ok(p) => Some(PathBuf::from(p)).filter(|p| p.exists()),
        Err(_) => candidates.iter().map(PathBuf::from).find(|p| p.exists()),
    }
}

/// Where screenshots go (the workspace's `target/console-screenshots`).
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots")
}

/// Starts chromedriver and Chromium. Without them: `None` (the test skips
/// with a message) — unless `CI` is set, where a skip would hide a broken
/// set-up, so it panics.
pub async fn start_browser() -> Option<Browser> {
    let chromium = find_binary(
        "CHROME_BIN",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let driver = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        let msg = "chromium and chromedriver are needed for the browser tests \
                   (apt-get install -y chromium chromium-driver)";
        assert!(
            std::env::var_os("CI").is_none(),
            "{msg}; CI is set, so this fails"
        );
        eprintln!("SKIPPED: {msg}");
        return None;
    };
    // Only this run's screenshots are left as artifacts.
    let _ = std::fs::remove_dir_all(screenshot_dir());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-dev-shm-usage", "--window-size=1280,900"],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + PATIENCE;
    // chromedriver needs a moment to listen; connect as soon as it does.
    let client = loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.clone());
        match builder.connect(&url).await {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no WebDriver session from {}: {e}", driver.display()),
        }
    };
    let session = client.session_id().await.ok().flatten();
    Some(Browser {
        client,
        driver: child,
        port,
        session,
    })
}

impl Browser {
    /// The first element matching `css`, once it is there.
    pub async fn wait_css(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// Waits until the JavaScript expression `expr` is truthy.
    pub async fn wait_js(&self, expr: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let v = self
                .client
                .execute(&format!("return ({expr});"), vec![])
                .await
                .expect("script");
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {expr}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Types into the field `css` (cleared first).
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_css(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.wait_css(css).await.click().await.expect("click");
    }

    /// Saves a screenshot as `target/console-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path.canonicalize().unwrap_or(path)
    }

    /// Loads `url` afresh and returns (navigation-to-load ms, navigation-to-
    /// data-rendered ms) for `view` (see `rendered()` in the console's dom.js).
    pub async fn timed_load(&self, url: &str, view: &str) -> (f64, f64) {
        self.client.goto("about:blank").await.expect("blank");
        self.client.goto(url).await.expect("goto");
        let rendered = self
            .wait_js(&format!(
                "performance.getEntriesByName('rendered:{view}')[0]?.startTime"
            ))
            .await;
        let load = self
            .wait_js("performance.getEntriesByType('navigation')[0]?.loadEventEnd")
            .await;
        (
            load.as_f64().expect("load time"),
            rendered.as_f64().expect("render time"),
        )
    }
}

// Steps the page tests share.

/// WebDriver key codes.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";

/// Forgets which view rendered last, so the next wait sees the new one.
pub async fn expect_render(b: &Browser) {
    b.client
        .execute("delete document.body.dataset.rendered; return 1;", vec![])
        .await
        .expect("reset marker");
}

/// Waits for `view`'s data on screen; nothing on the way was blocked by the
/// page's `default-src 'self'` policy.
pub async fn rendered(b: &Browser, view: &str) {
    b.wait_js(&format!("document.body.dataset.rendered === '{view}'"))
        .await;
    let blocked = js(b, "document.documentElement.dataset.cspViolations || '0'").await;
    assert_eq!(blocked, "0", "the policy blocked something on {view}");
}

pub async fn js(b: &Browser, expr: &str) -> Value {
    b.client
        .execute(&format!("return ({expr});"), vec![])
        .await
        .expect("script")
}

pub fn json_str(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

pub async fn sign_out(b: &Browser) {
    b.click("#sign-out").await;
    b.wait_css("#staff-login").await;
}

/// The page fits the window: nothing scrolls sideways.
pub async fn fits_width(b: &Browser, what: &str) {
    let (scroll, inner) = (
        js(b, "document.documentElement.scrollWidth").await,
        js(b, "window.innerWidth").await,
    );
    assert!(
        scroll.as_f64() <= inner.as_f64(),
        "{what} scrolls sideways at {inner}px: {scroll}px wide"
    );
}

/// What a reader would see as broken on the page now: table cells squeezed
/// to a letter a line, text cut by its box (cells, fields, labels), a table
/// that hides columns behind a sideways scroll, chart labels running out of
/// their chart or over each other or over a data point.
pub async fn layout_defects(b: &Browser) -> Vec<String> {
    let found = js(
        b,
        r#"(() => {
  const out = [];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== "hidden" && !el.closest("[hidden], details:not([open]) > :not(summary)");
  };
  const short = (t) => (t || "").trim().replace(/\s+/g, " ").slice(0, 40);
  for (const td of document.querySelectorAll("td, th")) {
    if (!shown(td)) continue;
    const longest = Math.max(0, ...td.textContent.trim().split(/\s+/).map((w) => w.length));
    const em = parseFloat(getComputedStyle(td).fontSize);
    if (longest >= 4 && td.clientWidth < 2.5 * em) out.push(`cell squeezed to ${td.clientWidth}px: ${short(td.textContent)}`);
  }
  for (const el of document.querySelectorAll("td, th, dd, dt, li, p, span, a, button, label, input, select, h1, h2, h3")) {
    if (!shown(el)) continue;
    const st = getComputedStyle(el);
    const clips = ["hidden", "clip"].includes(st.overflowX) || el.tagName === "INPUT" || el.tagName === "SELECT";
    if (clips && el.scrollWidth > el.clientWidth + 1) out.push(`text cut in ${el.tagName.toLowerCase()}: ${short(el.value || el.textContent)}`);
  }
  for (const w of document.querySelectorAll(".table-wrap")) {
    if (shown(w) && w.scrollWidth > w.clientWidth + 1) out.push(`table hides columns behind a sideways scroll: ${short(w.querySelector("caption")?.textContent)}`);
  }
  for (const svg of document.querySelectorAll("svg.chart, svg.gauge")) {
    if (!shown(svg)) continue;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")].map((t) => [t.textContent, t.getBoundingClientRect()]);
    const dots = [...svg.querySelectorAll("circle")].map((c) => c.getBoundingClientRect());
    const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    for (const [t, r] of texts) {
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) out.push(`chart label outside its chart: ${t}`);
      if (dots.some((d) => meets(r, d))) out.push(`chart label over a data point: ${t}`);
    }
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      if (meets(texts[i][1], texts[j][1])) out.push(`chart labels overlap: ${texts[i][0]} / ${texts[j][0]}`);
    }
  }
  return out;
})()"#,
    )
    .await;
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
