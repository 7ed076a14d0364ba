//! Client ↔ fake contract tests for sending, over real HTTP.

mod common;

use std::time::Duration;

use common::{config, start, TOKEN};
use serde_json::json;
use whatsapp::{Retry, Template};

#[tokio::test]
async fn utility_template_is_accepted_and_recorded_verbatim() {
    // Arrange
    let (fake, client) = start(config(), TOKEN).await;
    let alert = Template::utility("risk_alert", "en", &["Asha", "92%"]);

    // Act
    let sent = client
        .send_template("+919800000001", &alert)
        .await
        .expect("accepted");

    // Assert
    assert!(sent.wamid.starts_with("wamid."));
    let msgs = fake.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].wamid, sent.wamid);
    assert_eq!(msgs[0].to, "+919800000001");
    assert_eq!(msgs[0].template, "risk_alert");
    assert_eq!(msgs[0].params, vec!["Asha", "92%"]);
    assert_eq!(
        msgs[0].raw,
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"+919800000001",
          "type":"template","template":{"name":"risk_alert","language":{"code":"en"},
          "components":[{"type":"body","parameters":[
            {"type":"text","text":"Asha"},{"type":"text","text":"92%"}]}]}})
    );
}

#[tokio::test]
async fn otp_template_sends_body_and_copy_code_button() {
    let (fake, client) = start(config(), TOKEN).await;
    let otp = Template::authentication("otp_code", "en", "483920");

    client
        .send_template("+919800000002", &otp)
        .await
        .expect("accepted");

    let msgs = fake.messages();
    assert_eq!(
        msgs[0].raw["template"]["components"],
        json!([{"type":"body","parameters":[{"type":"text","text":"483920"}]},
          {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"483920"}]}])
    );
}

#[tokio::test]
async fn hello_world_without_parameters_is_accepted() {
    let (fake, client) = start(config(), TOKEN).await;
    client
        .send_template(
            "+919800000003",
            &Template::utility("hello_world", "en_US", &[]),
        )
        .await
        .expect("accepted");
    assert!(fake.messages()[0].raw["template"]
        .get("components")
        .is_none());
}

#[tokio::test]
async fn wrong_token_is_190_permanent() {
    let (fake, client) = start(config(), "expired").await;
    let err = client
        .send_template(
            "+919800000001",
            &Template::utility("risk_alert", "en", &["a", "b"]),
        )
        .await
        .expect_err("rejected");
    assert_eq!(
        (err.code, err.http_status, err.retry),
        (190, 401, Retry::Permanent)
    );
    assert!(fake.messages().is_empty());
}

#[tokio::test]
async fn unknown_template_or_language_is_132001_permanent() {
    let (_fake, client) = start(config(), TOKEN).await;
    for t in [
        Template::utility("nope", "en", &[]),
        Template::utility("risk_alert", "hi", &["a", "b"]),
    ] {
        let err = client
            .send_template("+919800000001", &t)
            .await
            .expect_err("rejected");
        assert_eq!((err.code, err.retry), (132001, Retry::Permanent));
    }
}

#[tokio::test]
async fn wrong_parameter_count_is_132000_permanent() {
    let (_fake, client) = start(config(), TOKEN).await;
    let err = client
        .send_template(
            "+919800000001",
            &Template::utility("risk_alert", "en", &["only one"]),
        )
        .await
        .expect_err("rejected");
    assert_eq!((err.code, err.retry), (132000, Retry::Permanent));
    // An authentication template without its copy-code button is also a mismatch.
    let mut otp = Template::authentication("otp_code", "en", "1234");
    otp.copy_code = None;
    let err = client
        .send_template("+919800000001", &otp)
        .await
        .expect_err("rejected");
    assert_eq!(err.code, 132000);
}

#[tokio::test]
async fn throughput_storm_gets_130429_retryable() {
    // A long window makes the limit independent of machine speed.
    let cfg = common::FakeConfigExt::with(config(), |c| {
        c.throughput = 3;
        c.throughput_window = Duration::from_secs(600);
    });
    let (fake, client) = start(cfg, TOKEN).await;
    let t = Template::utility("risk_alert", "en", &["a", "b"]);

    let mut results = Vec::new();
    for i in 0..10 {
        results.push(client.send_template(&format!("+91980000{i:04}"), &t).await);
    }

    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!((err.code, err.retry), (130429, Retry::Retryable));
    }
    assert_eq!(fake.messages().len(), 3);
}

#[tokio::test]
async fn per_recipient_limit_gets_131056_with_a_wait_hint() {
    let cfg = common::FakeConfigExt::with(config(), |c| {
        c.per_recipient_burst = 2;
        c.per_recipient_interval = Duration::from_secs(3600);
    });
    let (_fake, client) = start(cfg, TOKEN).await;
    let t = Template::utility("risk_alert", "en", &["a", "b"]);
    for _ in 0..2 {
        client
            .send_template("+919800000009", &t)
            .await
            .expect("within burst");
    }
    let err = client
        .send_template("+919800000009", &t)
        .await
        .expect_err("limited");
    assert_eq!(err.code, 131056);
    assert!(matches!(err.retry, Retry::After(_)));
    client
        .send_template("+919800000010", &t)
        .await
        .expect("other recipient unaffected");
}

#[tokio::test]
async fn outage_is_retryable_then_recovers() {
    let (fake, client) = start(config(), TOKEN).await;
    let t = Template::utility("risk_alert", "en", &["a", "b"]);

    fake.set_down(true);
    let err = client
        .send_template("+919800000001", &t)
        .await
        .expect_err("down");
    assert_eq!(
        (err.code, err.http_status, err.retry),
        (2, 503, Retry::Retryable)
    );

    fake.set_down(false);
    client
        .send_template("+919800000001", &t)
        .await
        .expect("back up");
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn injected_failures_carry_code_and_status() {
    let (fake, client) = start(config(), TOKEN).await;
    let t = Template::utility("risk_alert", "en", &["a", "b"]);
    fake.fail_next(1, 131000);
    fake.fail_next(1, 131026);

    let first = client
        .send_template("+919800000001", &t)
        .await
        .expect_err("injected");
    assert_eq!(
        (first.code, first.http_status, first.retry),
        (131000, 500, Retry::Retryable)
    );
    let second = client
        .send_template("+919800000001", &t)
        .await
        .expect_err("injected");
    assert_eq!((second.code, second.retry), (131026, Retry::Permanent));
    client
        .send_template("+919800000001", &t)
        .await
        .expect("queue drained");
}

#[tokio::test]
async fn unreachable_server_is_a_retryable_transport_error() {
    // A port that was just free: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = whatsapp::CloudApiClient::new(&format!("http://{addr}"), "v21.0", "1", TOKEN)
        .expect("client");

    let err = client
        .send_template(
            "+919800000001",
            &Template::utility("risk_alert", "en", &["a", "b"]),
        )
        .await
        .expect_err("no server");

    assert_eq!((err.http_status, err.retry), (0, Retry::Retryable));
}
