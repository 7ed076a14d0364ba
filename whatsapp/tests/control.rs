//! The fake's `/_fake/…` control routes, over real HTTP, as a person driving
//! a local end-to-end run would use them.

mod common;

use common::{config, start, TOKEN};
use serde_json::json;
use whatsapp::{Retry, Template};

#[tokio::test]
async fn errors_outages_and_the_message_list_are_controlled_over_http() {
    let (fake, client) = start(config(), TOKEN).await;
    let http = reqwest::Client::new();
    let alert = Template::utility("risk_alert", "en", &["Asha", "92%"]);
    let url = |p: &str| format!("{}{p}", fake.base_url);

    let r = http
        .post(url("/_fake/fail"))
        .json(&json!({"code": 131056, "count": 1}))
        .send()
        .await
        .expect("fail");
    assert_eq!(r.status(), 204);
    let e = client
        .send_template("+919800000001", &alert)
        .await
        .expect_err("injected");
    assert_eq!(e.code, 131056);
    assert!(matches!(e.retry, Retry::After(_)));

    let r = http
        .post(url("/_fake/outage"))
        .json(&json!({"seconds": 600}))
        .send()
        .await
        .expect("outage");
    assert_eq!(r.status(), 204);
    let e = client
        .send_template("+919800000001", &alert)
        .await
        .expect_err("down");
    assert_eq!((e.code, e.http_status), (2, 503));
    let r = http.delete(url("/_fake/outage")).send().await.expect("end");
    assert_eq!(r.status(), 204);

    let sent = client
        .send_template("+919800000001", &alert)
        .await
        .expect("up again");
    let list: serde_json::Value = http
        .get(url("/_fake/messages"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["count"], 1);
    assert_eq!(list["messages"][0]["wamid"], sent.wamid.as_str());
    assert_eq!(list["messages"][0]["params"], json!(["Asha", "92%"]));

    let bad = http
        .post(url("/_fake/fail"))
        .json(&json!({"code": 2}))
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), 422, "a missing field is refused");
}
