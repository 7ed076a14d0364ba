//! No secret ever reaches the logs: every log line written (at TRACE, every
//! target, as an operator could enable with `RUST_LOG=trace`) during a staff
//! login, a wrong login, a customer's OTP request and verification through
//! the real dispatcher, and requests with good and bad bearer tokens is
//! captured, then searched for the password, the one-time code, the JWT
//! secret and both access tokens.
//!
//! One test in this binary: the subscriber is process-global.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::auth::Role;
use common::*;
use serde_json::{json, Value};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Where `needle` occurs as a whole token (not inside a longer run of
/// letters or digits: a 6-digit code would otherwise match inside any
/// timestamp by chance).
fn find_token(text: &str, needle: &str) -> Option<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(needle).map(|(at, _)| at).find(|&at| {
        !word(text[..at].chars().next_back()) && !word(text[at + needle.len()..].chars().next())
    })
}

const PASSWORD: &str = "correct horse battery staple";
const PHONE: &str = "+919800000001";

async fn post(base: &str, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

/// How long any one awaited condition may take before the test fails
/// (generous: CI is a slow machine).
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn sign_in_logs_no_password_code_secret_or_token() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let app = spawn_app_with_read_side().await;
    let (inbox, runtime) = local_alerts(&app, true);
    api::auth::staff::add_user(&app.db.pool, "alice", Role::Admin, PASSWORD)
        .await
        .expect("user");
    app.register("C-1").await;
    // Sign-in finds customers by phone in the overview: wait for it.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_overview")
            .fetch_one(&app.db.pool)
            .await
            .expect("count");
        if n == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the overview did not have the customer after {PATIENCE:?} ({n} rows)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let login = json!({"username": "alice", "password": PASSWORD});
    let r = post(&app.base, "/v1/auth/login", &login, None).await;
    assert_eq!(r.status(), 200);
    let staff_token = r.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let wrong = json!({"username": "alice", "password": format!("{PASSWORD}!")});
    assert_eq!(
        post(&app.base, "/v1/auth/login", &wrong, None)
            .await
            .status(),
        401
    );
    let r = post(
        &app.base,
        "/v1/auth/otp/request",
        &json!({"phone": PHONE}),
        None,
    )
    .await;
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + PATIENCE;
    let code = loop {
        if let Some(m) = inbox
            .list(Some(PHONE), 10)
            .into_iter()
            .find(|m| m.template == "otp_code")
        {
            break m.body_params[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "the code did not reach the inbox within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let r = post(
        &app.base,
        "/v1/auth/otp/verify",
        &json!({"phone": PHONE, "code": code}),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let customer_token = r.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    // Tokens in use, accepted and refused.
    let me = reqwest::Client::new()
        .get(format!("{}/v1/me", app.base))
        .bearer_auth(&customer_token)
        .send()
        .await
        .expect("me");
    assert!(me.status() != 401 && me.status() != 403);
    let refused = reqwest::Client::new()
        .get(format!("{}/v1/me", app.base))
        .bearer_auth(format!("{staff_token}x"))
        .send()
        .await
        .expect("me");
    assert_eq!(refused.status(), 401);
    let r = post(
        &app.base,
        "/v1/customers/C-1/transactions",
        &transaction("T-1", 100),
        Some(&staff_token),
    )
    .await;
    assert_eq!(r.status(), 201);
    runtime.stop().await;

    let text = logs.text();
    // The capture works: the sign-ins themselves were logged.
    assert!(text.contains("staff login"), "captured logs:\n{text}");
    assert!(
        text.contains("customer signed in"),
        "captured logs:\n{text}"
    );
    let secret = String::from_utf8_lossy(TEST_SECRET).into_owned();
    let token_signature = |t: &str| t.rsplit('.').next().expect("jwt").to_owned();
    for (what, needle) in [
        ("password", PASSWORD.to_owned()),
        ("one-time code", code.clone()),
        ("JWT secret", secret),
        ("staff token", staff_token.clone()),
        ("staff token signature", token_signature(&staff_token)),
        ("customer token", customer_token.clone()),
        ("customer token signature", token_signature(&customer_token)),
    ] {
        if let Some(at) = find_token(&text, &needle) {
            let line = text[..at].rsplit('\n').next().unwrap_or_default();
            panic!("the {what} is in the logs: …{line}…");
        }
    }
    println!(
        "log secrets: {} log lines searched for 7 secrets, none found",
        text.lines().count()
    );
}
