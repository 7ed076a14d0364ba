//! Security defaults over real HTTP: security headers on every kind of
//! answer (and Swagger UI still loads every asset under its CSP), CORS closed
//! unless origins are named, header/URI/body size limits as problem details,
//! and per-client rate limits on the sign-in routes (429 + `Retry-After`,
//! another client unaffected, nothing stored).

mod common;

use api::http::security::SecuritySettings;
use common::*;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

fn assert_security_headers(what: &str, h: &HeaderMap) {
    let get = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    let csp = get("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("script-src"),
        "{what}: scripts only from 'self'"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_json_is_not_cached() {
    let app = spawn_app().await;
    let plain = reqwest::Client::new();
    let answers = [
        ("health", plain.get(format!("{}/healthz", app.base))),
        ("unauthorised", plain.get(format!("{}/v1/me", app.base))),
        ("unknown route", plain.get(format!("{}/nope", app.base))),
        ("spec", plain.get(format!("{}/openapi.json", app.base))),
        (
            "validation",
            app.client
                .post(format!("{}/v1/customers", app.base))
                .json(&json!({})),
        ),
    ];
    for (what, req) in answers {
        let r = req.send().await.expect("request");
        assert_security_headers(what, r.headers());
        assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
        // Closed CORS: no answer names an allowed origin.
        assert!(r.headers().get("access-control-allow-origin").is_none());
    }
}

#[tokio::test]
async fn swagger_ui_loads_every_asset_under_its_policy() {
    let app = spawn_app().await;
    let page = reqwest::get(format!("{}/docs/", app.base))
        .await
        .expect("docs");
    assert_eq!(page.status(), 200);
    assert_security_headers("docs", page.headers());
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'"),
        "Swagger UI sets inline styles: {csp}"
    );
    let html = page.text().await.expect("html");
    // No inline script: every <script> loads a file (the CSP allows no other).
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "{html}"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css") || s.ends_with(".png"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in assets {
        assert!(!asset.contains("//"), "same origin only: {asset}");
        let url = format!("{}/docs/{}", app.base, asset.trim_start_matches("./"));
        let r = reqwest::get(&url).await.expect("asset");
        assert_eq!(r.status(), 200, "{url}");
        assert_security_headers(asset, r.headers());
    }
}

async fn preflight(base: &str, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(Method::OPTIONS, format!("{base}/v1/customers"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_only_to_named_origins() {
    let app = spawn_app().await;
    let r = preflight(&app.base, "https://evil.example").await;
    for h in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ] {
        assert!(r.headers().get(h).is_none(), "closed: {h}");
    }
    assert!(r.status().is_client_error(), "{}", r.status());

    let settings = SecuritySettings {
        allowed_origins: api::http::security::parse_origins("https://console.bank.example")
            .expect("origin"),
        ..SecuritySettings::default()
    };
    let base = serve(app.state.clone().with_security(settings)).await;
    let ok = preflight(&base, "https://console.bank.example").await;
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://console.bank.example"
    );
    let methods = ok.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let other = preflight(&base, "https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

async fn assert_problem(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.expect("problem json");
    assert_eq!(p["status"], status);
    p
}

#[tokio::test]
async fn oversized_headers_uris_and_bodies_are_refused_as_problems() {
    let app = spawn_app().await;
    let before = app.event_count().await;
    let big = "x".repeat(api::http::security::MAX_HEADER_BYTES + 1);
    let r = app
        .client
        .post(format!("{}/v1/customers", app.base))
        .header("x-padding", big)
        .json(&registration("C-1"))
        .send()
        .await
        .expect("request");
    assert_problem(r, 431).await;

    let long = format!(
        "{}/v1/admin/customers?cursor={}",
        app.base,
        "a".repeat(api::http::security::MAX_URI_BYTES)
    );
    let r = reqwest::get(long).await.expect("request");
    assert_problem(r, 414).await;

    // Sign-in sets no limit of its own: the default applies.
    let password = "p".repeat(api::http::security::DEFAULT_BODY_LIMIT);
    let r = reqwest::Client::new()
        .post(format!("{}/v1/auth/login", app.base))
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await
        .expect("request");
    assert_problem(r, 413).await;
    // The signed webhook reads raw bytes under its own 1 MiB limit.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/webhooks/whatsapp", app.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .expect("request");
    assert_problem(r, 413).await;
    // Batches keep their own, larger limit.
    let items: Vec<Value> = (0..1_000)
        .map(|i| {
            let mut t = transaction(&format!("T-{i}"), 100);
            t["customer_id"] = json!("C-404");
            t
        })
        .collect();
    let body = json!({ "items": items });
    assert!(body.to_string().len() > api::http::security::DEFAULT_BODY_LIMIT);
    let r = app.post("/v1/transactions:batch", &body).await;
    assert_eq!(r.status(), 200, "a batch over 64 KiB is still read");
    assert_eq!(app.event_count().await, before, "nothing stored");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_with_retry_after() {
    let app = spawn_app().await;
    let settings = SecuritySettings {
        sign_in_per_minute: 3,
        ..SecuritySettings::default()
    };
    let base = serve(app.state.clone().with_security(settings)).await;
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .expect("client")
    };
    let (one, two) = (from([127, 0, 0, 1]), from([127, 0, 0, 2]));
    let login = json!({"username": "nobody", "password": "wrong password"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = one
            .post(format!("{base}/v1/auth/login"))
            .json(&login)
            .send()
            .await
            .expect("login");
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=21).contains(&retry), "{retry}");
            assert_problem(r, 429).await;
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let other = two
        .post(format!("{base}/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(other.status(), 401, "another client has its own bucket");

    // The OTP routes have their own bucket, shared by request and verify.
    let before = app.event_count().await;
    let mut statuses = Vec::new();
    for path in ["request", "verify", "verify", "request"] {
        let body = if path == "request" {
            json!({"phone": "12345"})
        } else {
            json!({"phone": "12345", "code": "123456"})
        };
        let r = one
            .post(format!("{base}/v1/auth/otp/{path}"))
            .json(&body)
            .send()
            .await
            .expect("otp");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 429]);
    assert_eq!(app.event_count().await, before, "refused: nothing stored");
}
