//! The OpenAPI spec: it parses as OpenAPI 3.1, every `$ref` resolves, it
//! describes exactly the routed operations (each one answered by a real
//! handler, not the unknown-route fallback), protected operations declare
//! the bearer scheme, every operation documents its problem responses, and
//! `/docs` is served from the binary.

mod common;

use std::collections::BTreeSet;

use api::http::openapi::OPERATIONS;
use common::*;
use serde_json::Value;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_owned());
                    }
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_spec_is_valid_and_covers_every_route() {
    let app = spawn_app().await;
    let raw = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    oas3::from_json(&raw).expect("a valid OpenAPI 3.1 document");
    let spec: Value = serde_json::from_str(&raw).expect("json");
    assert!(spec["openapi"]
        .as_str()
        .expect("version")
        .starts_with("3.1"));

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema ref");
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }

    // The spec's operations are exactly the routed ones.
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            documented.insert((method.clone(), path.clone()));
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|c| c.starts_with('2')),
                "{method} {path}: no success"
            );
            let public = path.starts_with("/v1/auth/")
                || path.starts_with("/v1/webhooks/")
                || ["/healthz", "/readyz", "/metrics"].contains(&path.as_str());
            if !public {
                assert!(
                    op["security"].is_array(),
                    "{method} {path} declares no security"
                );
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
            }
            // Webhooks take WhatsApp's bodies; a replay takes none (it is an
            // action on the decision named in the path).
            let bodiless = path.starts_with("/v1/webhooks/") || path.ends_with("/replay");
            if method == "post" && !bodiless {
                assert!(
                    op["requestBody"].is_object(),
                    "{method} {path}: no request body schema"
                );
                assert!(responses.contains_key("422"), "{method} {path}: no 422");
            }
        }
    }
    let routed: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, routed);
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert!(spec["components"]["schemas"]["Problem"].is_object());

    // Each operation reaches a handler: never the unknown-route or
    // wrong-method fallback. The app runs in local WhatsApp mode so the
    // local inbox is routed too.
    let state = app
        .state
        .clone()
        .with_webhooks(api::http::webhooks::WebhookState {
            app_secret: None,
            verify_token: None,
            recorder: alerts::webhook::DeliveryRecorder::new(
                app.db.pool.clone(),
                app.state.customers.clone(),
            ),
            local_inbox: Some(std::sync::Arc::new(alerts::LocalInbox::default())),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(listener, api::http::router(state))
            .await
            .expect("serve");
    });
    let client = reqwest::Client::new();
    for (method, path) in OPERATIONS {
        let url = format!(
            "{base}{}",
            path.replace("{customer_id}", "C-1")
                .replace("{decision_id}", "C-1:1")
        );
        let req = match *method {
            "get" => client.get(&url),
            _ => client
                .post(&url)
                .header("content-type", "application/json")
                .body("{}"),
        };
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        assert!(
            !(status == 404 && body.contains("no such route")),
            "{method} {path} is not routed"
        );
        assert_ne!(status, 405, "{method} {path}");
    }

    let docs = reqwest::get(format!("{}/docs/", app.base))
        .await
        .expect("docs");
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.expect("html");
    assert!(html.contains("swagger"), "Swagger UI page");
    assert!(!html.contains("https://"), "no CDN links");
    let js = reqwest::get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .await
        .expect("js");
    assert_eq!(js.status(), 200, "assets served from the binary");
}

/// The idempotent operations (ingest of facts, manual alerts) document the
/// header the server sends on a repeat, by its real name.
#[tokio::test]
async fn idempotent_operations_document_the_replay_header_the_server_sends() {
    let app = spawn_app().await;
    let spec: Value = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        !spec.to_string().contains("X-Replayed"),
        "no header by a wrong name"
    );
    let idempotent = [
        ("/v1/customers", "201"),
        ("/v1/customers/{customer_id}/transactions", "201"),
        ("/v1/customers/{customer_id}/statements", "201"),
        ("/v1/customers/{customer_id}/payments", "201"),
        ("/v1/customers/{customer_id}/days-past-due", "201"),
        ("/v1/admin/customers/{customer_id}/alerts", "202"),
    ];
    for (path, status) in idempotent {
        let header =
            &spec["paths"][path]["post"]["responses"][status]["headers"]["Idempotent-Replayed"];
        assert!(
            header.is_object(),
            "{path} {status} documents Idempotent-Replayed"
        );
    }
}
