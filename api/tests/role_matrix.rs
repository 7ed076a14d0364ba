//! The role and ownership matrix, driven by `OPERATIONS` (every routed
//! operation): each route must be declared here as public or with the roles
//! it admits, so a new route without a declaration fails this test. For each
//! route and each caller (no token, customer, admin, auditor, ingest):
//! - guarded: no token → 401 with `WWW-Authenticate: Bearer`, a role not
//!   admitted → 403, an admitted role → neither; refusals store nothing;
//! - public: the token changes nothing (same status for every caller);
//! - the spec says `bearer` security exactly on the guarded routes;
//! - a customer naming another customer's id anywhere is refused (403).

mod common;

use api::auth::Role;
use api::http::openapi::OPERATIONS;
use common::*;
use serde_json::Value;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// No token needed (health, sign-in, signed webhooks, the docs).
    Public,
    /// A bearer token with one of these roles.
    Roles(&'static [Role]),
}

const INGEST: Access = Access::Roles(&[Role::Ingest, Role::Admin]);
const ADMIN: Access = Access::Roles(&[Role::Admin]);
const CUSTOMER: Access = Access::Roles(&[Role::Customer]);
const AUDITOR: Access = Access::Roles(&[Role::Auditor]);

/// The declarations, one per (method, path); a path ending in `*` would
/// declare a whole area at once.
const DECLARED: &[(&str, &str, Access)] = &[
    ("post", "/v1/customers", INGEST),
    ("post", "/v1/customers/{customer_id}/credit-limit", INGEST),
    ("post", "/v1/customers/{customer_id}/transactions", INGEST),
    ("post", "/v1/customers/{customer_id}/statements", INGEST),
    ("post", "/v1/customers/{customer_id}/payments", INGEST),
    ("post", "/v1/customers/{customer_id}/days-past-due", INGEST),
    ("post", "/v1/transactions:batch", INGEST),
    ("post", "/v1/customers/{customer_id}/reversals", INGEST),
    (
        "post",
        "/v1/customers/{customer_id}/payment-returns",
        INGEST,
    ),
    (
        "post",
        "/v1/customers/{customer_id}/statement-corrections",
        INGEST,
    ),
    ("post", "/v1/corrections:batch", INGEST),
    ("get", "/healthz", Access::Public),
    ("get", "/readyz", Access::Public),
    ("get", "/metrics", Access::Public),
    ("post", "/v1/auth/login", Access::Public),
    ("post", "/v1/auth/otp/request", Access::Public),
    ("post", "/v1/auth/otp/verify", Access::Public),
    ("get", "/v1/me", CUSTOMER),
    ("get", "/v1/admin/portfolio", ADMIN),
    ("get", "/v1/admin/customers", ADMIN),
    ("get", "/v1/admin/customers/{customer_id}", ADMIN),
    (
        "get",
        "/v1/admin/customers/{customer_id}/transactions",
        ADMIN,
    ),
    ("get", "/v1/admin/customers/{customer_id}/statements", ADMIN),
    ("post", "/v1/admin/customers/{customer_id}/alerts", ADMIN),
    // Signed with the app secret instead of a token.
    ("get", "/v1/webhooks/whatsapp", Access::Public),
    ("post", "/v1/webhooks/whatsapp", Access::Public),
    // Outside demo mode (in demo mode it is public, for the walkthrough).
    ("get", "/v1/local/whatsapp/messages", ADMIN),
    // Audit reads: auditors only (every read is recorded on their trail).
    (
        "get",
        "/v1/audit/customers/{customer_id}/decisions",
        AUDITOR,
    ),
    ("get", "/v1/audit/customers/{customer_id}/state", AUDITOR),
    ("get", "/v1/audit/decisions/{decision_id}", AUDITOR),
    ("post", "/v1/audit/decisions/{decision_id}/replay", AUDITOR),
];

fn declared(method: &str, path: &str) -> Option<Access> {
    DECLARED.iter().find_map(|(m, p, access)| {
        let matches = match p.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => *p == path,
        };
        (*m == method && matches).then_some(*access)
    })
}

/// The other customer's id: every `{customer_id}` names C-2, whose data
/// customer C-1 must never reach.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(match &rest[open..close] {
            "{customer_id}" => "C-2",
            _ => "x-1",
        });
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_operation_has_a_declared_access_rule() {
    let missing: Vec<_> = OPERATIONS
        .iter()
        .filter(|(m, p)| declared(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "declare who may use these routes in DECLARED: {missing:?}"
    );
}

#[tokio::test]
async fn every_route_admits_exactly_its_roles_and_refusals_store_nothing() {
    // No read side: nothing but these requests writes events.
    let app = spawn_app().await;
    app.register("C-1").await;
    let mut other = registration("C-2");
    other["phone"] = serde_json::json!("+919800000002");
    assert_eq!(app.post("/v1/customers", &other).await.status(), 201);
    let spec: Value = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    // Local WhatsApp mode, so the local inbox is routed too.
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
    let base = serve(state).await;
    let now = chrono::Utc::now().timestamp();
    let callers: Vec<(&str, Option<Role>, Option<String>)> = vec![
        ("no token", None, None),
        (
            "customer C-1",
            Some(Role::Customer),
            Some(app.tokens.issue("C-1", Role::Customer, now)),
        ),
        (
            "admin",
            Some(Role::Admin),
            Some(app.tokens.issue("admin", Role::Admin, now)),
        ),
        (
            "auditor",
            Some(Role::Auditor),
            Some(app.tokens.issue("auditor", Role::Auditor, now)),
        ),
        (
            "ingest",
            Some(Role::Ingest),
            Some(app.tokens.issue("bank-core", Role::Ingest, now)),
        ),
    ];
    let client = reqwest::Client::new();
    let mut checked = 0;
    for (method, path) in OPERATIONS {
        let access = declared(method, path).expect("declared (see the test above)");
        let url = format!("{base}{}", concrete(path));
        let documented = &spec["paths"][*path][*method];
        let has_bearer = documented["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(
            has_bearer,
            access != Access::Public,
            "{method} {path}: the spec's security must match the route's guard"
        );
        let mut public_statuses = Vec::new();
        for (who, role, token) in &callers {
            let mut req = match *method {
                "get" => client.get(&url),
                _ => client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body("{}"),
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let before = app.event_count().await;
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            let challenge = r.headers().get("www-authenticate").cloned();
            let body = r.text().await.unwrap_or_default();
            assert!(status < 500, "{method} {path} as {who}: {status} {body}");
            let context = format!("{method} {path} as {who}: {status} {body}");
            match access {
                Access::Public => public_statuses.push(status),
                Access::Roles(admitted) => match role {
                    None => {
                        assert_eq!(status, 401, "{context}");
                        assert_eq!(
                            challenge.as_ref().and_then(|v| v.to_str().ok()),
                            Some("Bearer"),
                            "{context}"
                        );
                    }
                    Some(r) if !admitted.contains(r) => assert_eq!(status, 403, "{context}"),
                    Some(Role::Customer) if path.contains("{customer_id}") => {
                        // Admitted by role, but the id is someone else's.
                        assert_eq!(status, 403, "{context}");
                    }
                    Some(_) => assert!(status != 401 && status != 403, "{context}"),
                },
            }
            if status == 401 || status == 403 {
                let p: Value = serde_json::from_str(&body).expect("problem details");
                assert_eq!(p["status"], status, "{context}");
                if access != Access::Public {
                    assert_eq!(app.event_count().await, before, "{context}: stored");
                }
            }
            checked += 1;
        }
        // (The webhook handshake's 403 is Meta's protocol for a wrong verify
        // token, the same for every caller.)
        if access == Access::Public {
            assert!(
                public_statuses.windows(2).all(|w| w[0] == w[1]),
                "{method} {path}: a public route answers every caller alike: {public_statuses:?}"
            );
        }
    }
    assert_eq!(checked, OPERATIONS.len() * callers.len());
    println!(
        "role matrix: {} routes x {} callers checked",
        OPERATIONS.len(),
        callers.len()
    );
}
