//! Signed status webhooks from the fake, received by a real HTTP endpoint.

mod common;

use std::collections::HashMap;

use common::{config, start, wait_delivered, FakeConfigExt, Receiver, SECRET, TOKEN};
use whatsapp::fake::WebhookTarget;
use whatsapp::{parse_statuses, verify_signature, Delivery, Template};

fn with_webhook(url: &str, f: impl FnOnce(&mut whatsapp::FakeConfig)) -> whatsapp::FakeConfig {
    FakeConfigExt::with(config(), |c| {
        c.webhook = Some(WebhookTarget {
            url: url.into(),
            app_secret: SECRET.to_vec(),
        });
        f(c);
    })
}

#[tokio::test]
async fn callbacks_are_signed_and_report_sent_delivered_read() {
    // Arrange
    let rx = Receiver::start().await;
    let (_fake, client) = start(with_webhook(&rx.url, |_| {}), TOKEN).await;

    // Act
    let sent = client
        .send_template(
            "+919800000001",
            &Template::utility("risk_alert", "en", &["Asha", "92%"]),
        )
        .await
        .expect("accepted");
    let got = rx.wait_for(3).await;

    // Assert
    assert_eq!(got.len(), 3);
    let mut states = Vec::new();
    for r in &got {
        assert!(verify_signature(SECRET, &r.body, r.signature.as_deref()));
        let updates = parse_statuses(&r.body).expect("parse");
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].wamid, sent.wamid);
        assert_eq!(updates[0].recipient, "919800000001");
        states.push(updates[0].status);
    }
    assert_eq!(
        states,
        vec![Delivery::Sent, Delivery::Delivered, Delivery::Read]
    );
}

#[tokio::test]
async fn tampered_body_wrong_secret_or_missing_header_are_rejected() {
    let rx = Receiver::start().await;
    let (_fake, client) = start(with_webhook(&rx.url, |_| {}), TOKEN).await;
    client
        .send_template(
            "+919800000001",
            &Template::utility("risk_alert", "en", &["a", "b"]),
        )
        .await
        .expect("accepted");
    let got = rx.wait_for(1).await;
    let first = got.first().expect("one webhook");

    let mut tampered = first.body.clone();
    let pos = tampered
        .iter()
        .position(|b| *b == b'9')
        .expect("a digit to flip");
    tampered[pos] = b'8';

    assert!(verify_signature(
        SECRET,
        &first.body,
        first.signature.as_deref()
    ));
    assert!(!verify_signature(
        SECRET,
        &tampered,
        first.signature.as_deref()
    ));
    assert!(!verify_signature(
        b"other-secret",
        &first.body,
        first.signature.as_deref()
    ));
    assert!(!verify_signature(SECRET, &first.body, None));
}

#[tokio::test]
async fn undeliverable_recipient_gets_failed_131026() {
    let rx = Receiver::start().await;
    let cfg = with_webhook(&rx.url, |c| c.undeliverable = vec!["+919800000666".into()]);
    let (_fake, client) = start(cfg, TOKEN).await;

    let sent = client
        .send_template(
            "+919800000666",
            &Template::utility("risk_alert", "en", &["a", "b"]),
        )
        .await
        .expect("accepted: failure is reported asynchronously");
    let got = rx.wait_for(1).await;

    let updates = parse_statuses(&got[0].body).expect("parse");
    assert_eq!(updates[0].wamid, sent.wamid);
    assert_eq!(updates[0].status, Delivery::Failed);
    assert_eq!(updates[0].error_code, Some(131026));
}

#[tokio::test]
async fn duplicated_out_of_order_callbacks_settle_on_read() {
    // Arrange
    let rx = Receiver::start().await;
    let cfg = with_webhook(&rx.url, |c| {
        c.duplicate_callbacks = true;
        c.out_of_order_callbacks = true;
        c.seed = 7;
    });
    let (fake, client) = start(cfg, TOKEN).await;
    let t = Template::utility("risk_alert", "en", &["a", "b"]);

    // Act: two messages, six webhooks each.
    let a = client.send_template("+919800000001", &t).await.expect("a");
    let b = client.send_template("+919800000002", &t).await.expect("b");
    let got = rx.wait_for(12).await;
    // The fake counts a webhook only once it has read the receiver's answer.
    wait_delivered(&fake, 12).await;

    // Assert
    assert_eq!(got.len(), 12);
    assert_eq!(fake.callbacks_delivered(), 12);
    let mut furthest: HashMap<String, Delivery> = HashMap::new();
    let mut seen: Vec<(String, Delivery)> = Vec::new();
    for r in &got {
        assert!(verify_signature(SECRET, &r.body, r.signature.as_deref()));
        for u in parse_statuses(&r.body).expect("parse") {
            let current = furthest.get(&u.wamid).copied();
            furthest.insert(u.wamid.clone(), Delivery::furthest(current, u.status));
            seen.push((u.wamid, u.status));
        }
    }
    for wamid in [&a.wamid, &b.wamid] {
        assert_eq!(furthest.get(wamid), Some(&Delivery::Read));
        for state in [Delivery::Sent, Delivery::Delivered, Delivery::Read] {
            let n = seen
                .iter()
                .filter(|(w, s)| w == wamid && *s == state)
                .count();
            assert_eq!(n, 2, "{wamid} {state:?} should arrive twice");
        }
    }
    // With this seed the posting order is not the natural one for message a.
    let order_a: Vec<Delivery> = seen
        .iter()
        .filter(|(w, _)| *w == a.wamid)
        .map(|(_, s)| *s)
        .collect();
    let natural = [
        Delivery::Sent,
        Delivery::Sent,
        Delivery::Delivered,
        Delivery::Delivered,
        Delivery::Read,
        Delivery::Read,
    ];
    assert_ne!(order_a, natural);
}
