//! HTTP-layer fuzzing with proptest: generated bodies — garbage bytes,
//! arbitrary JSON, and valid requests with fields removed, replaced by
//! arbitrary values or tricky strings, or unknown fields added — sent to
//! every ingest route and to the WhatsApp webhook (signed, badly signed and
//! unsigned). Every answer must be below 500; every refusal must be RFC 9457
//! problem details (a 422 naming its fields) and must leave the event log
//! as it was. The server runs in this process, so a handler panic would
//! show as a dropped connection and fail the case.
//!
//! Case count: `PROPTEST_CASES` (default 64 per target here, for CI;
//! `scripts/fuzz` runs thousands). The number run and the status mix are
//! printed.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

const APP_SECRET: &str = "fuzz-app-secret";

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Any JSON value, nested a few levels, with the fields the routes know as
/// likely keys.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        tricky_string().prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "customer_id",
    "name",
    "phone",
    "credit_limit_minor",
    "currency",
    "opened_at",
    "transaction_id",
    "amount_minor",
    "kind",
    "merchant_category_code",
    "merchant_name",
    "channel",
    "occurred_at",
    "period",
    "closing_balance_minor",
    "minimum_due_minor",
    "due_date",
    "issued_at",
    "payment_id",
    "paid_at",
    "days_past_due",
    "as_of",
    "effective_at",
    "items",
    "object",
    "entry",
    "changes",
    "value",
    "statuses",
    "id",
    "status",
    "timestamp",
    "recipient_id",
    "errors",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        Just("2026-13-45T25:61:00Z".to_owned()),
        Just("9999-12-31T23:59:59Z".to_owned()),
        Just("0000-01-01T00:00:00Z".to_owned()),
        Just("2026-02-30".to_owned()),
        Just("-1".to_owned()),
        Just("1e309".to_owned()),
        Just("\u{0}".to_owned()),
        Just("'; DROP TABLE events; --".to_owned()),
        Just("\u{202e}\u{fffd}\u{1f4a9}".to_owned()),
        Just("x".repeat(70_000)),
        Just("+919800000001".to_owned()),
        Just("INR".to_owned()),
        Just("purchase".to_owned()),
        "[0-9]{1,25}",
    ]
}

/// How a valid body is spoiled.
#[derive(Clone, Debug)]
enum Mutation {
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(
        prop_oneof![
            any::<usize>().prop_map(Mutation::Remove),
            (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
            (key(), any_json()).prop_map(|(k, v)| Mutation::Add(k, v)),
        ],
        0..4,
    )
}

fn mutate(mut body: Map<String, Value>, mutations: &[Mutation]) -> Map<String, Value> {
    for m in mutations {
        let keys: Vec<String> = body.keys().cloned().collect();
        match m {
            Mutation::Remove(i) if !keys.is_empty() => {
                body.remove(&keys[i % keys.len()]);
            }
            Mutation::Replace(i, v) if !keys.is_empty() => {
                body.insert(keys[i % keys.len()].clone(), v.clone());
            }
            Mutation::Add(k, v) => {
                body.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    body
}

/// One generated request body.
#[derive(Clone, Debug)]
enum Body {
    /// Bytes that are rarely JSON.
    Garbage(Vec<u8>),
    /// Any JSON at all.
    Json(Value),
    /// The route's valid body with mutations (none = a valid request).
    ValidIsh(Vec<Mutation>),
    /// The valid body cut short.
    Truncated(usize),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Body::Garbage),
        2 => any_json().prop_map(Body::Json),
        5 => mutations().prop_map(Body::ValidIsh),
        1 => any::<usize>().prop_map(Body::Truncated),
    ]
}

/// A valid body for `route`, with ids unique to case `n`.
fn valid(route: &str, n: u64) -> Map<String, Value> {
    let v = match route {
        "/v1/customers" => registration(&format!("F-{n}")),
        "/v1/customers/C-1/transactions" => transaction(&format!("T-{n}"), 100 + n as i64),
        "/v1/customers/C-1/statements" => {
            // A past issue date (facts from the future are refused) and a
            // period unique to the case, closed before it.
            json!({"period": format!("{}-{:02}", 1950 + n / 12, n % 12 + 1),
            "closing_balance_minor": 1000, "minimum_due_minor": 100,
            "due_date": "2026-06-21", "issued_at": "2026-06-01T00:00:00Z"})
        }
        "/v1/customers/C-1/payments" => json!({"payment_id": format!("P-{n}"), "amount_minor": 500,
            "currency": "INR", "paid_at": "2026-03-01T00:00:00Z"}),
        "/v1/customers/C-1/days-past-due" => json!({"days_past_due": n % 90,
            "as_of": format!("2026-04-01T00:00:{:02}Z", n % 60)}),
        "/v1/customers/C-1/credit-limit" => json!({"credit_limit_minor": 1_000 + n,
            "effective_at": "2026-03-01T00:00:00Z"}),
        "/v1/transactions:batch" => {
            let mut t = transaction(&format!("B-{n}"), 100);
            t["customer_id"] = json!("C-1");
            json!({"items": [t]})
        }
        _ => json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
            "statuses": [{"id": format!("wamid.{n}"), "status": "delivered",
              "timestamp": "1749416383", "recipient_id": "919800000001"}]}}]}]}),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn bytes_of(route: &str, n: u64, body: &Body) -> Vec<u8> {
    match body {
        Body::Garbage(b) => b.clone(),
        Body::Json(v) => v.to_string().into_bytes(),
        Body::ValidIsh(m) => Value::Object(mutate(valid(route, n), m))
            .to_string()
            .into_bytes(),
        Body::Truncated(i) => {
            let full = Value::Object(valid(route, n)).to_string().into_bytes();
            full[..i % full.len().max(1)].to_vec()
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Signature {
    Good,
    Wrong,
    Missing,
}

struct Target {
    base: String,
    app: TestApp,
    counter: AtomicU64,
    statuses: Mutex<BTreeMap<(String, u16), u32>>,
}

impl Target {
    async fn send(&self, route: &str, body: &Body, sig: Signature) -> Result<(), TestCaseError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let bytes = bytes_of(route, n, body);
        let webhook = route == "/v1/webhooks/whatsapp";
        let mut req = if webhook {
            reqwest::Client::new().post(format!("{}{route}", self.base))
        } else {
            self.app.client.post(format!("{}{route}", self.base))
        };
        req = req.header("content-type", "application/json");
        if webhook {
            match sig {
                Signature::Good => {
                    req = req.header(
                        "x-hub-signature-256",
                        whatsapp::webhook::sign(APP_SECRET.as_bytes(), &bytes),
                    )
                }
                Signature::Wrong => {
                    req = req.header(
                        "x-hub-signature-256",
                        whatsapp::webhook::sign(b"not-the-secret", &bytes),
                    )
                }
                Signature::Missing => {}
            }
        }
        let before = self.app.event_count().await;
        let r = req
            .body(bytes)
            .send()
            .await
            .map_err(|e| TestCaseError::fail(format!("{route}: no answer (panic?): {e}")))?;
        let status = r.status().as_u16();
        *self
            .statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.text().await.unwrap_or_default();
        prop_assert!(status < 500, "{route}: {status} {text}");
        if status >= 400 {
            prop_assert_eq!(
                content_type.as_str(),
                "application/problem+json",
                "{}",
                text
            );
            let p: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{route}: not JSON ({e}): {text}")))?;
            prop_assert_eq!(&p["status"], &json!(status));
            prop_assert!(
                p["type"].is_string() && p["title"].is_string() && p["detail"].is_string()
            );
            if status == 422 {
                let named = p["errors"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty() && e.iter().all(|f| f["field"].is_string()));
                prop_assert!(named, "{route}: a 422 names its fields: {text}");
            }
            prop_assert_eq!(
                self.app.event_count().await,
                before,
                "{}: refused but stored",
                route
            );
        }
        if webhook {
            // No alert has this wamid: whatever the body, nothing is recorded.
            prop_assert_eq!(self.app.event_count().await, before);
        }
        Ok(())
    }
}

const ROUTES: &[&str] = &[
    "/v1/customers",
    "/v1/customers/C-1/transactions",
    "/v1/customers/C-1/statements",
    "/v1/customers/C-1/payments",
    "/v1/customers/C-1/days-past-due",
    "/v1/customers/C-1/credit-limit",
    "/v1/transactions:batch",
    "/v1/webhooks/whatsapp",
];

#[test]
fn generated_bodies_never_cause_a_5xx_and_refusals_store_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let target = rt.block_on(async {
        let app = spawn_app().await;
        app.register("C-1").await;
        let state = app
            .state
            .clone()
            .with_webhooks(api::http::webhooks::WebhookState {
                app_secret: Some(alerts::Secret::new(APP_SECRET)),
                verify_token: None,
                recorder: alerts::webhook::DeliveryRecorder::new(
                    app.db.pool.clone(),
                    app.state.customers.clone(),
                ),
                local_inbox: None,
            });
        let base = serve(state).await;
        Arc::new(Target {
            base,
            app,
            counter: AtomicU64::new(0),
            statuses: Mutex::new(BTreeMap::new()),
        })
    });
    let mut total = 0u32;
    for route in ROUTES {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            body(),
            prop_oneof![
                Just(Signature::Good),
                Just(Signature::Wrong),
                Just(Signature::Missing)
            ],
        );
        let ran = std::cell::Cell::new(0u32);
        runner
            .run(&strategy, |(b, sig)| {
                ran.set(ran.get() + 1);
                rt.block_on(target.send(route, &b, sig))
            })
            .unwrap_or_else(|e| panic!("{route}: {e}"));
        total += ran.get();
    }
    let statuses = target.statuses.lock().unwrap_or_else(|p| p.into_inner());
    println!("fuzz_http: {total} requests over {} routes", ROUTES.len());
    for ((route, status), n) in statuses.iter() {
        println!("  {route} {status}: {n}");
    }
    // The generator reaches both sides: accepted and refused requests.
    assert!(statuses.keys().any(|(_, s)| *s < 300));
    assert!(statuses.keys().any(|(_, s)| *s == 422));
    assert!(total >= cases() * ROUTES.len() as u32);
}
