//! Identity over real HTTP: tokens (missing, expired, tampered, wrong
//! audience, `none` and RS/HS confusion all 401), roles (403), a customer
//! sees only their own data, staff password login, and WhatsApp OTP sign-in
//! through the real dispatcher and local adapter — limits, the lock, single
//! use, no enumeration, and the welcome message once.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alerts::{AlertPolicy, AlertsRuntime, LocalInbox};
use api::auth::{Claims, Role};
use common::*;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

/// How long any one awaited condition may take before the test fails
/// (generous: CI is a slow machine).
const PATIENCE: Duration = Duration::from_secs(30);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("get")
}

async fn post_as(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("post")
}

fn b64(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // base64url without padding, by hand (no extra dependency for a test).
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            let _ = write!(out, "{}", A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn claims(sub: &str, role: Role, aud: &str, iat: i64, exp: i64) -> Claims {
    Claims {
        sub: sub.into(),
        role,
        iss: "early-risk".into(),
        aud: aud.into(),
        iat,
        exp,
    }
}

#[tokio::test]
async fn bad_tokens_are_401_and_wrong_roles_are_403() {
    let app = spawn_app_with_read_side().await;
    app.register("C-1").await;
    let key = EncodingKey::from_secret(TEST_SECRET);
    let good = app.tokens.issue("C-1", Role::Customer, now());
    let expired = encode(
        &Header::default(),
        &claims(
            "C-1",
            Role::Customer,
            "early-risk-api",
            now() - 7200,
            now() - 3600,
        ),
        &key,
    )
    .expect("jwt");
    let wrong_aud = encode(
        &Header::default(),
        &claims("C-1", Role::Customer, "someone-else", now(), now() + 600),
        &key,
    )
    .expect("jwt");
    let wrong_key = encode(
        &Header::default(),
        &claims("C-1", Role::Customer, "early-risk-api", now(), now() + 600),
        &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!"),
    )
    .expect("jwt");
    let payload = serde_json::to_vec(&claims(
        "C-1",
        Role::Admin,
        "early-risk-api",
        now(),
        now() + 600,
    ))
    .expect("json");
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&payload)
    );
    // RS256 in the header, "signed" with the shared secret as an HMAC key.
    let rs = {
        use hmac::{Hmac, Mac};
        let signing = format!(
            "{}.{}",
            b64(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64(&payload)
        );
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(TEST_SECRET).expect("key");
        mac.update(signing.as_bytes());
        format!("{signing}.{}", b64(&mac.finalize().into_bytes()))
    };
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        parts[1] = b64(&serde_json::to_vec(&claims(
            "C-2",
            Role::Customer,
            "early-risk-api",
            now(),
            now() + 600,
        ))
        .expect("json"));
        parts.join(".")
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = get(&app, "/v1/me", Some(&good)).await.status().as_u16();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the good token should read /v1/me once the overview has the customer; \
             still {status} after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (name, token) in [
        ("missing", None),
        ("expired", Some(expired.as_str())),
        ("wrong audience", Some(wrong_aud.as_str())),
        ("wrong key", Some(wrong_key.as_str())),
        ("alg none", Some(none.as_str())),
        ("RS/HS confusion", Some(rs.as_str())),
        ("tampered", Some(tampered.as_str())),
        ("garbage", Some("not-a-jwt")),
    ] {
        let r = get(&app, "/v1/me", token).await;
        assert_eq!(r.status(), 401, "{name}");
        let p: Value = r.json().await.expect("problem");
        assert_eq!(p["status"], 401, "{name}");
    }
    // Roles: a customer may not ingest; the bank's systems may not read /v1/me.
    let ingest = app.tokens.issue("bank-core", Role::Ingest, now());
    let r = post_as(
        &app,
        "/v1/customers/C-1/transactions",
        Some(&good),
        &transaction("T-1", 100),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&app, "/v1/me", Some(&ingest)).await.status(), 403);
    let auditor = app.tokens.issue("audit", Role::Auditor, now());
    let r = post_as(&app, "/v1/customers", Some(&auditor), &registration("C-9")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.event_count().await,
        1,
        "refused requests stored nothing"
    );
}

#[tokio::test]
async fn a_customer_sees_only_their_own_data_and_actions_name_the_caller() {
    let app = spawn_app_with_read_side().await;
    app.register("C-1").await;
    let mut other = registration("C-2");
    other["phone"] = json!("+919800000002");
    other["name"] = json!("Ravi Kumar");
    assert_eq!(app.post("/v1/customers", &other).await.status(), 201);
    let a = app.tokens.issue("C-1", Role::Customer, now());
    let deadline = Instant::now() + PATIENCE;
    let seen: Value = loop {
        let r = get(&app, "/v1/me", Some(&a)).await;
        if r.status() == 200 {
            break r.json().await.expect("json");
        }
        assert!(
            Instant::now() < deadline,
            "/v1/me for C-1 still {} after {PATIENCE:?} (the overview never had the customer)",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(seen["customer_id"], "C-1");
    assert_eq!(seen["name"], "Asha Rao");
    assert!(!seen.to_string().contains("Ravi"), "nothing of C-2");
    // Writes carry who made them.
    let actor: String = sqlx::query_scalar(
        "SELECT metadata ->> 'actor' FROM events WHERE aggregate_id = 'C-2' AND sequence = 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("actor");
    assert_eq!(actor, "ingest:bank-core");
}

#[tokio::test]
async fn staff_log_in_with_argon2_passwords() {
    let app = spawn_app().await;
    api::auth::staff::add_user(&app.db.pool, "alice", Role::Admin, "correct horse battery")
        .await
        .expect("user");
    let stored: String =
        sqlx::query_scalar("SELECT password_hash FROM staff_accounts WHERE username = 'alice'")
            .fetch_one(&app.db.pool)
            .await
            .expect("hash");
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains("correct horse"));
    let ok = post_as(
        &app,
        "/v1/auth/login",
        None,
        &json!({"username": "alice", "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.expect("json");
    let claims = app
        .tokens
        .check(body["access_token"].as_str().expect("token"))
        .expect("valid");
    assert_eq!((claims.sub.as_str(), claims.role), ("alice", Role::Admin));
    let wrong = post_as(
        &app,
        "/v1/auth/login",
        None,
        &json!({"username": "alice", "password": "wrong password!"}),
    )
    .await;
    let unknown = post_as(
        &app,
        "/v1/auth/login",
        None,
        &json!({"username": "mallory", "password": "wrong password!"}),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["detail"],
        unknown.json::<Value>().await.expect("json")["detail"]
    );
    assert!(
        api::auth::staff::add_user(&app.db.pool, "bob", Role::Admin, "short")
            .await
            .is_err()
    );
    assert!(api::auth::AuthSettings::with_secret(b"CHANGE_ME".to_vec(), 30).is_err());
    assert!(api::auth::AuthSettings::with_secret(b"too-short".to_vec(), 30).is_err());
}

struct Otp {
    app: TestApp,
    inbox: Arc<LocalInbox>,
    runtime: AlertsRuntime,
}

async fn otp_app() -> Otp {
    let app = spawn_app_with_read_side().await;
    let (inbox, runtime) = local_alerts(&app, true);
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
    Otp {
        app,
        inbox,
        runtime,
    }
}

async fn wait_inbox(
    inbox: &LocalInbox,
    to: &str,
    template: &str,
    n: usize,
) -> Vec<alerts::LocalMessage> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got: Vec<_> = inbox
            .list(Some(to), 100)
            .into_iter()
            .filter(|m| m.template == template)
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than {n} {template} messages for {to} after {PATIENCE:?}: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const PHONE: &str = "+919800000001";

#[tokio::test]
async fn a_customer_signs_in_with_a_whatsapp_code_once_and_is_welcomed_once() {
    let o = otp_app().await;
    let r = post_as(
        &o.app,
        "/v1/auth/otp/request",
        None,
        &json!({"phone": PHONE}),
    )
    .await;
    assert_eq!(r.status(), 202);
    let code = wait_inbox(&o.inbox, PHONE, "otp_code", 1).await[0].body_params[0].clone();
    assert_eq!(code.len(), 6);
    // Never stored in clear: not in any event, nor in the outbox.
    let leaks: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%') \
              + (SELECT count(*) FROM alert_outbox WHERE message::text LIKE '%' || $1 || '%' \
                 OR coalesce(sealed, '') LIKE '%' || $1 || '%')",
    )
    .bind(&code)
    .fetch_one(&o.app.db.pool)
    .await
    .expect("search");
    assert_eq!(leaks, 0, "the code is stored somewhere in clear");

    let verify = json!({"phone": PHONE, "code": code});
    let r = post_as(&o.app, "/v1/auth/otp/verify", None, &verify).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token").to_owned();
    let claims = o.app.tokens.check(&token).expect("valid");
    assert_eq!((claims.sub.as_str(), claims.role), ("C-1", Role::Customer));
    assert_eq!(get(&o.app, "/v1/me", Some(&token)).await.status(), 200);
    // The same code never works again.
    let again = post_as(&o.app, "/v1/auth/otp/verify", None, &verify).await;
    assert_eq!(again.status(), 401);

    let welcome = wait_inbox(&o.inbox, PHONE, "welcome", 1).await;
    assert_eq!(welcome[0].body_params, ["Asha"]);
    // Replaying the log through the policy welcomes nobody twice.
    o.runtime.stop().await;
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = 'alert_escalations'")
        .execute(&o.app.db.pool)
        .await
        .expect("reset");
    let head: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&o.app.db.pool)
        .await
        .expect("head");
    projections::Runner::new(
        alerts::policy::EscalationPolicy::new(
            o.app.state.customers.clone(),
            AlertPolicy {
                max_age: None,
                ..AlertPolicy::default()
            },
        ),
        o.app.db.pool.clone(),
        o.app.state.lag.clone(),
    )
    .catch_up_to(head, 2_000)
    .await
    .expect("replay");
    let welcomes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'AlertRaised' \
         AND payload -> 'AlertRaised' -> 'cause' ->> 'kind' = 'welcome'",
    )
    .fetch_one(&o.app.db.pool)
    .await
    .expect("count");
    assert_eq!(welcomes, 1);
}

#[tokio::test]
async fn brute_force_is_stopped_by_the_lock_and_codes_are_rate_limited() {
    let o = otp_app().await;
    assert_eq!(
        post_as(
            &o.app,
            "/v1/auth/otp/request",
            None,
            &json!({"phone": PHONE})
        )
        .await
        .status(),
        202
    );
    let again = post_as(
        &o.app,
        "/v1/auth/otp/request",
        None,
        &json!({"phone": PHONE}),
    )
    .await;
    assert_eq!(again.status(), 429, "a second code within 30 s");
    assert!(again.headers().get("retry-after").is_some());
    let code = wait_inbox(&o.inbox, PHONE, "otp_code", 1).await[0].body_params[0].clone();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = post_as(
            &o.app,
            "/v1/auth/otp/verify",
            None,
            &json!({"phone": PHONE, "code": wrong}),
        )
        .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
    let right = post_as(
        &o.app,
        "/v1/auth/otp/verify",
        None,
        &json!({"phone": PHONE, "code": code}),
    )
    .await;
    assert_eq!(right.status(), 429, "locked: even the right code fails");
    let locks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'LoginLocked'")
            .fetch_one(&o.app.db.pool)
            .await
            .expect("count");
    assert_eq!(locks, 1);
    let bad = post_as(
        &o.app,
        "/v1/auth/otp/verify",
        None,
        &json!({"phone": PHONE, "code": "12ab56"}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    o.runtime.stop().await;
}

#[tokio::test]
async fn an_unknown_phone_gets_the_same_answer_and_nothing_is_sent() {
    let o = otp_app().await;
    let before = o.app.event_count().await;
    let known = post_as(
        &o.app,
        "/v1/auth/otp/request",
        None,
        &json!({"phone": PHONE}),
    )
    .await;
    let unknown = post_as(
        &o.app,
        "/v1/auth/otp/request",
        None,
        &json!({"phone": "+919811111111"}),
    )
    .await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(
        known.json::<Value>().await.expect("json"),
        unknown.json::<Value>().await.expect("json")
    );
    // Same path: each request recorded one OtpIssued …
    let issued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'OtpIssued'")
            .fetch_one(&o.app.db.pool)
            .await
            .expect("count");
    assert_eq!(issued, 2);
    assert!(o.app.event_count().await >= before + 2);
    wait_inbox(&o.inbox, PHONE, "otp_code", 1).await;
    o.runtime.stop().await;
    // … but only the customer's code was sent.
    assert!(o.inbox.list(Some("+919811111111"), 10).is_empty());
    let r = post_as(
        &o.app,
        "/v1/auth/otp/verify",
        None,
        &json!({"phone": "+919811111111", "code": "123456"}),
    )
    .await;
    assert_eq!(r.status(), 401);
    let bad = post_as(
        &o.app,
        "/v1/auth/otp/request",
        None,
        &json!({"phone": "12345"}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let p: Value = bad.json().await.expect("problem");
    assert_eq!(p["errors"][0]["field"], "phone");
}
