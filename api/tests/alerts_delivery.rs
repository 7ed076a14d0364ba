//! Alerts end to end over real HTTP: an escalation reaches the WhatsApp fake
//! once with the configured template, its statuses come back through signed
//! webhooks, replays raise nothing new, permanent errors fail at once, the
//! fallback template is used when the operator allowed it, and a lost answer
//! is settled by the status webhook instead of a second message.

mod alerting;

use std::time::Duration;

use alerting::*;
use alerts::{AlertPolicy, DispatchConfig};
use whatsapp::fake::{ApprovedTemplate, FakeConfig};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_escalation_reaches_the_customer_once_and_its_statuses_come_back() {
    let h = harness(FakeConfig::default(), true).await;
    let policy = fixture_policy();
    let runtime = h.start_alerts(
        policy.clone(),
        quick_dispatch(),
        h.cloud(Duration::from_secs(5)),
    );
    h.register("C-1", 1).await;
    h.execute("C-1", high_decision("C-1:2", "2026-02-03T10:00:00Z"))
        .await;

    wait_for("the message at the fake", LIMIT, || async {
        messages(&h.fake) == 1
    })
    .await;
    wait_for("three statuses recorded", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertDeliveryUpdated'")
            .await
            == 3
    })
    .await;
    let m = &h.fake.messages()[0];
    assert_eq!(m.to, phone(1));
    assert_eq!(m.template, "risk_alert");
    assert_eq!(m.language, "en");
    assert_eq!(m.params[0], "Asha");
    // The headline is the decision's top reason, in plain language.
    let decision = &h.events_of("RiskAssessed").await[0];
    assert_eq!(
        m.params[1],
        decision["assessment"]["reasons"][0]["text"]
            .as_str()
            .expect("reason text")
    );
    let raised = &h.events_of("AlertRaised").await[0];
    assert_eq!(m.callback_data.as_deref(), raised["alert_id"].as_str());
    assert_eq!(raised["cause"]["decision_id"], "C-1:2");
    wait_for("AlertSent", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await
            == 1
    })
    .await;
    let sent = &h.events_of("AlertSent").await[0];
    assert_eq!(sent["wamid"].as_str(), Some(m.wamid.as_str()));
    let statuses: Vec<String> = h
        .events_of("AlertDeliveryUpdated")
        .await
        .iter()
        .map(|e| e["status"].as_str().expect("status").to_owned())
        .collect();
    for s in ["sent", "delivered", "read"] {
        assert!(
            statuses.iter().any(|x| x == s),
            "{s} missing from {statuses:?}"
        );
    }
    runtime.stop().await;

    // Replaying the whole log through the policy raises nothing new.
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = 'alert_escalations'")
        .execute(&h.db.pool)
        .await
        .expect("reset the policy's checkpoint");
    let head = last_position(&h.db.pool).await;
    let replay = projections::Runner::new(
        alerts::policy::EscalationPolicy::new(h.state.customers.clone(), policy),
        h.db.pool.clone(),
        h.state.lag.clone(),
    );
    replay.catch_up_to(head, 2_000).await.expect("replayed");
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertRaised'")
            .await,
        1
    );
    assert_eq!(messages(&h.fake), 1);
}

#[tokio::test]
async fn a_repeat_escalation_within_the_cooldown_is_suppressed_and_recorded() {
    let h = harness(FakeConfig::default(), false).await;
    let runtime = h.start_alerts(
        fixture_policy(),
        quick_dispatch(),
        h.cloud(Duration::from_secs(5)),
    );
    h.register("C-1", 1).await;
    h.execute("C-1", high_decision("C-1:2", "2026-02-03T10:00:00Z"))
        .await;
    wait_for("the first alert sent", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await
            == 1
    })
    .await;
    // Down to Low, then High again two hours later: within the 24 h cooldown.
    let mut low = high_decision("C-1:3", "2026-02-03T11:00:00Z");
    if let domain::customer::CustomerCommand::RecordRiskAssessment(a) = &mut low {
        a.band = domain::risk::Band::Low;
        a.fired_rules.clear();
    }
    h.execute("C-1", low).await;
    h.execute("C-1", high_decision("C-1:4", "2026-02-03T12:00:00Z"))
        .await;
    wait_for("the suppression", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSuppressed'")
            .await
            == 1
    })
    .await;
    runtime.stop().await;
    assert_eq!(messages(&h.fake), 1);
    let s = &h.events_of("AlertSuppressed").await[0];
    assert_eq!(s["cause"]["decision_id"], "C-1:4");
    assert_eq!(s["cooldown_until"], "2026-02-04T10:00:00Z");
}

#[tokio::test]
async fn permanent_errors_fail_at_once_with_the_reason() {
    let h = harness(FakeConfig::default(), false).await;
    h.fake.fail_next(1, 131026);
    let runtime = h.start_alerts(
        fixture_policy(),
        quick_dispatch(),
        h.cloud(Duration::from_secs(5)),
    );
    h.register("C-1", 1).await;
    h.raise("C-1", "A-1", &fixture_policy()).await;
    wait_for("AlertFailed", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertFailed'")
            .await
            == 1
    })
    .await;
    runtime.stop().await;
    let failed = &h.events_of("AlertFailed").await[0];
    assert_eq!(failed["code"], 131026);
    assert_eq!(failed["permanent"], true);
    assert_eq!(failed["attempts"], 1);
    assert_eq!(messages(&h.fake), 0);
}

#[tokio::test]
async fn a_missing_template_falls_back_to_hello_world_only_when_enabled() {
    let config = FakeConfig {
        templates: vec![ApprovedTemplate::utility("hello_world", "en_US", 0)],
        ..FakeConfig::default()
    };
    let h = harness(config, false).await;
    let with_fallback = AlertPolicy {
        fallback: Some(AlertPolicy::hello_world()),
        ..fixture_policy()
    };
    let runtime = h.start_alerts(
        with_fallback.clone(),
        quick_dispatch(),
        h.cloud(Duration::from_secs(5)),
    );
    h.register("C-1", 1).await;
    h.register("C-2", 2).await;
    h.raise("C-1", "A-1", &with_fallback).await;
    h.raise("C-2", "A-2", &fixture_policy()).await;
    wait_for("both outcomes", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type IN ('AlertSent', 'AlertFailed')")
            .await
            == 2
    })
    .await;
    runtime.stop().await;
    let sent = &h.events_of("AlertSent").await[0];
    assert_eq!(sent["alert_id"], "A-1");
    assert_eq!(sent["fallback_used"], true);
    assert_eq!(sent["failures"][0]["code"], 132001);
    let failed = &h.events_of("AlertFailed").await[0];
    assert_eq!(failed["alert_id"], "A-2");
    assert_eq!(failed["code"], 132001);
    let at_fake = h.fake.messages();
    assert_eq!(at_fake.len(), 1);
    assert_eq!(at_fake[0].template, "hello_world");
    assert_eq!(at_fake[0].to, phone(1));
}

#[tokio::test]
async fn a_lost_answer_is_settled_by_the_status_webhook_not_by_a_second_message() {
    let h = harness(FakeConfig::default(), true).await;
    // WhatsApp accepts at once but answers after 3 s; we give up after 300 ms.
    h.fake.set_response_delay(Duration::from_secs(3));
    let dispatch = DispatchConfig {
        lease: Duration::from_millis(500),
        reconcile_after: Duration::from_secs(600),
        ..quick_dispatch()
    };
    let runtime = h.start_alerts(
        fixture_policy(),
        dispatch,
        h.cloud(Duration::from_millis(300)),
    );
    h.register("C-1", 1).await;
    h.raise("C-1", "A-1", &fixture_policy()).await;
    wait_for("AlertSent", LIMIT, || async {
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await
            == 1
    })
    .await;
    runtime.stop().await;
    assert_eq!(messages(&h.fake), 1, "exactly one message to the customer");
    let sent = &h.events_of("AlertSent").await[0];
    assert_eq!(
        sent["wamid"].as_str(),
        Some(h.fake.messages()[0].wamid.as_str())
    );
    assert!(
        sent["failures"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("timed out")),
        "the timeout is on the record: {sent}"
    );
}

/// Raises one alert, lets the fake accept it while holding its answer, then
/// aborts the dispatcher's tasks mid-send (a crash) and starts a new
/// dispatcher; returns once the new one has recorded `AlertSent`.
async fn crash_mid_send_and_restart(h: &Harness, dispatch: DispatchConfig) {
    h.fake.set_response_delay(Duration::from_secs(60));
    let crashing = sqlx::PgPool::connect(&h.db.url)
        .await
        .expect("the crashing process's pool");
    let first = h.start_alerts_on(
        crashing.clone(),
        fixture_policy(),
        dispatch.clone(),
        h.cloud(Duration::from_secs(120)),
    );
    h.register("C-1", 1).await;
    h.raise("C-1", "A-1", &fixture_policy()).await;
    wait_for("the message at the fake", LIMIT, || async {
        messages(&h.fake) == 1
    })
    .await;
    // The crash: the tasks stop where they are and the process's
    // connections go, as when it dies.
    drop(first);
    crashing.close().await;
    assert_eq!(sent_events(h).await, 0, "the crash came before the record");
    h.fake.set_response_delay(Duration::ZERO);
    let second = h.start_alerts(fixture_policy(), dispatch, h.cloud(Duration::from_secs(5)));
    wait_for("AlertSent after the restart", LIMIT, || async {
        sent_events(h).await == 1
    })
    .await;
    second.stop().await;
}

async fn sent_events(h: &Harness) -> i64 {
    h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
        .await
}

#[tokio::test]
async fn a_crash_between_send_and_record_sends_nothing_twice() {
    let h = harness(FakeConfig::default(), true).await;
    let dispatch = DispatchConfig {
        lease: Duration::from_millis(500),
        reconcile_after: Duration::from_secs(600),
        ..quick_dispatch()
    };
    crash_mid_send_and_restart(&h, dispatch).await;
    assert_eq!(
        messages(&h.fake),
        1,
        "the status webhook settled it: the restart did not message the customer again"
    );
}

#[tokio::test]
async fn without_status_webhooks_an_unknown_outcome_is_resent_after_the_reconcile_window() {
    // The documented at-least-once window: no webhook ever settles the send,
    // so after `reconcile_after` the alert is sent again — one duplicate,
    // and the record says why.
    let h = harness(FakeConfig::default(), false).await;
    let dispatch = DispatchConfig {
        lease: Duration::from_millis(200),
        reconcile_after: Duration::from_secs(1),
        ..quick_dispatch()
    };
    crash_mid_send_and_restart(&h, dispatch).await;
    assert_eq!(
        messages(&h.fake),
        2,
        "one duplicate, the size of the window"
    );
    let sent = &h.events_of("AlertSent").await[0];
    assert_eq!(sent["attempts"], 2);
    assert!(sent["failures"][0]["reason"]
        .as_str()
        .is_some_and(|r| r.starts_with("outcome unknown")));
}
