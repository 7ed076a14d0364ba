//! Tests of alerts on the Customer aggregate: raising, the cooldown, the age
//! limit, the alert budget, and idempotent reports of sends and deliveries.

use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;

use super::tests::{at, cmd, id, registered};
use super::*;
use crate::facts::KnownFacts;
use crate::risk::Band;
use crate::values::ExternalId;

type CustomerTest = TestFramework<Customer>;

fn alert_id(s: &str) -> ExternalId {
    ExternalId::parse(s).expect("valid")
}

fn flagged() -> TemplateRef {
    TemplateRef {
        name: "risk_alert".into(),
        language: "en".into(),
        parameters: TemplateParameters::FirstNameAndHeadline,
    }
}

fn escalation(id: &str, band: Band, at_: &str) -> RaiseAlert {
    RaiseAlert {
        alert_id: alert_id(id),
        cause: AlertCause::Escalation {
            decision_id: format!("d-{id}"),
            band_before: Band::Low,
            band,
            reason_codes: vec!["rule:over_limit".into()],
        },
        template: flagged(),
        fallback: Some(TemplateRef {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: TemplateParameters::None,
        }),
        raised_at: at(at_),
        cooldown_seconds: 24 * 3600,
        decided_at: None,
        max_age_seconds: None,
        withheld_by_budget: None,
    }
}

/// Runs `commands` in order from a registered customer, folding each event,
/// and returns the events recorded.
fn run(commands: Vec<CustomerCommand>) -> Result<Vec<CustomerEvent>, CustomerError> {
    let mut customer = Customer::default();
    customer.apply(registered());
    let mut out = Vec::new();
    for c in commands {
        if let Some(e) = customer.decide(&id(), c, &KnownFacts::none())? {
            customer.apply(e.clone());
            out.push(e);
        }
    }
    Ok(out)
}

fn raise(c: RaiseAlert) -> CustomerCommand {
    CustomerCommand::RaiseAlert(Box::new(c))
}

fn sent(id: &str, wamid: &str) -> CustomerCommand {
    CustomerCommand::RecordAlertSent(Box::new(AlertSent {
        alert_id: alert_id(id),
        wamid: wamid.into(),
        fallback_used: false,
        attempts: 1,
        failures: vec![],
        sent_at: at("2026-03-01T10:00:01Z"),
    }))
}

fn delivery(id: &str, status: DeliveryStatus, ts: &str) -> CustomerCommand {
    CustomerCommand::RecordAlertDelivery(Box::new(AlertDeliveryUpdated {
        alert_id: alert_id(id),
        wamid: "wamid.1".into(),
        status,
        error_code: None,
        error_reason: None,
        pricing_category: None,
        reported_at: at(ts),
    }))
}

#[test]
fn an_escalation_raises_an_alert_to_the_registered_phone_with_the_rendered_template() {
    let events = run(vec![raise(escalation(
        "A1",
        Band::High,
        "2026-03-01T10:00:00Z",
    ))])
    .expect("raised");
    let [CustomerEvent::AlertRaised(raised)] = events.as_slice() else {
        panic!("expected one AlertRaised, got {events:?}");
    };
    assert_eq!(raised.recipient.as_str(), "+919800000001");
    assert_eq!(raised.message.template, "risk_alert");
    // First name from the registration; no decision yet, so the generic headline.
    assert_eq!(raised.message.body_params.len(), 2);
    assert_eq!(raised.message.body_params[0], "Asha");
    let fallback = raised.fallback.as_ref().expect("fallback kept");
    assert!(
        fallback.body_params.is_empty(),
        "hello_world takes no parameters"
    );
}

#[test]
fn a_replayed_trigger_raises_nothing_new_and_a_reused_id_is_refused() {
    let first = escalation("A1", Band::High, "2026-03-01T10:00:00Z");
    let events = run(vec![raise(first.clone()), raise(first.clone())]).expect("ok");
    assert_eq!(events.len(), 1);
    let mut other = first.clone();
    other.cause = AlertCause::Manual {
        requested_by: "admin".into(),
        reason: "call".into(),
    };
    let err = run(vec![raise(first), raise(other)]).expect_err("reused id");
    assert_eq!(err.field(), Some("alert_id"));
}

#[test]
fn the_cooldown_suppresses_a_repeat_escalation_but_not_a_higher_band_or_a_later_one() {
    let events = run(vec![
        raise(escalation("A1", Band::Medium, "2026-03-01T10:00:00Z")),
        // Same band within 24 h: suppressed, and recorded as such.
        raise(escalation("A2", Band::Medium, "2026-03-01T20:00:00Z")),
        // Higher band within 24 h: escalated again, so raised.
        raise(escalation("A3", Band::High, "2026-03-01T21:00:00Z")),
        // High again 23 h after A3: suppressed.
        raise(escalation("A4", Band::High, "2026-03-02T20:00:00Z")),
        // High again 25 h after A3: raised.
        raise(escalation("A5", Band::High, "2026-03-02T22:00:00Z")),
    ])
    .expect("ok");
    let kinds: Vec<String> = events
        .iter()
        .map(cqrs_es::DomainEvent::event_type)
        .collect();
    assert_eq!(
        kinds,
        [
            "AlertRaised",
            "AlertSuppressed",
            "AlertRaised",
            "AlertSuppressed",
            "AlertRaised"
        ]
    );
    let CustomerEvent::AlertSuppressed(s) = &events[3] else {
        panic!("suppressed");
    };
    assert_eq!(s.reason, SuppressionReason::Cooldown);
    assert_eq!(
        s.previous_alert_id.as_ref().map(ExternalId::as_str),
        Some("A3")
    );
    assert_eq!(s.cooldown_until, Some(at("2026-03-02T21:00:00Z")));
}

/// An escalation decided at `decided` about a fact at `fact`, with the
/// default 72-hour age limit.
fn aged(id: &str, fact: &str, decided: &str) -> CustomerCommand {
    raise(RaiseAlert {
        decided_at: Some(at(decided)),
        max_age_seconds: Some(72 * 3600),
        ..escalation(id, Band::High, fact)
    })
}

#[test]
fn an_escalation_about_a_fact_older_than_the_age_limit_is_suppressed_as_stale() {
    let events = run(vec![
        // Imported history: a fact of June decided in December.
        aged("A1", "2026-06-01T10:00:00Z", "2026-12-01T09:00:00Z"),
        // Exactly at the limit is still news; a second past it is not.
        aged("A2", "2026-11-28T09:00:00Z", "2026-12-01T09:00:00Z"),
        aged("A3", "2026-11-28T08:59:59Z", "2026-12-01T09:00:00Z"),
    ])
    .expect("decided");
    let CustomerEvent::AlertSuppressed(s) = &events[0] else {
        panic!("stale history is suppressed, got {:?}", events[0]);
    };
    assert_eq!(s.reason, SuppressionReason::Stale);
    assert_eq!(s.decided_at, Some(at("2026-12-01T09:00:00Z")));
    assert_eq!(s.previous_alert_id, None);
    assert!(matches!(&events[1], CustomerEvent::AlertRaised(_)));
    let CustomerEvent::AlertSuppressed(s) = &events[2] else {
        panic!("past the limit, got {:?}", events[2]);
    };
    assert_eq!(s.reason, SuppressionReason::Stale);
}

#[test]
fn a_stale_suppression_does_not_start_a_cooldown_and_manual_alerts_ignore_the_age() {
    let manual = RaiseAlert {
        cause: AlertCause::Manual {
            requested_by: "alice".into(),
            reason: "called".into(),
        },
        ..escalation("M1", Band::High, "2026-06-01T10:00:00Z")
    };
    let events = run(vec![
        aged("A1", "2026-11-20T10:00:00Z", "2026-12-01T09:00:00Z"),
        aged("A2", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z"),
        raise(RaiseAlert {
            decided_at: Some(at("2026-12-01T09:00:00Z")),
            max_age_seconds: Some(72 * 3600),
            ..manual
        }),
    ])
    .expect("decided");
    assert!(matches!(&events[0], CustomerEvent::AlertSuppressed(_)));
    assert!(
        matches!(&events[1], CustomerEvent::AlertRaised(_)),
        "a stale suppression is no alert to cool down from"
    );
    assert!(matches!(&events[2], CustomerEvent::AlertRaised(_)));
}

#[test]
fn a_suppression_recorded_before_reasons_existed_reads_as_a_cooldown() {
    let old = serde_json::json!({
        "alert_id": "A1",
        "cause": {"kind": "manual", "requested_by": "a", "reason": "b"},
        "previous_alert_id": "A0",
        "cooldown_until": "2026-03-02T21:00:00Z",
        "raised_at": "2026-03-01T21:00:00Z"
    });
    let s: AlertSuppressed = serde_json::from_value(old).expect("old shape");
    assert_eq!(s.reason, SuppressionReason::Cooldown);
    assert_eq!(s.cooldown_until, Some(at("2026-03-02T21:00:00Z")));
}

/// The portfolio as the policy counted it when the budget had no room.
fn no_room() -> crate::alert_budget::BudgetCounts {
    crate::alert_budget::BudgetCounts {
        customers: 10,
        delinquent: 0,
        messaged_not_delinquent: 2,
        seconds_open: 200 * 86_400,
        expected_to_come_true: 0.0,
    }
}

#[test]
fn an_escalation_withheld_by_the_budget_is_recorded_with_the_counts_and_not_raised() {
    let events = run(vec![raise(RaiseAlert {
        decided_at: Some(at("2026-03-01T10:00:05Z")),
        withheld_by_budget: Some(no_room()),
        ..escalation("A1", Band::High, "2026-03-01T10:00:00Z")
    })])
    .expect("decided");
    let [CustomerEvent::AlertSuppressed(s)] = events.as_slice() else {
        panic!("expected one AlertSuppressed, got {events:?}");
    };
    assert_eq!(s.reason, SuppressionReason::Budget);
    assert_eq!(s.reason.as_str(), "budget");
    assert_eq!(s.budget, Some(no_room()));
    assert_eq!(s.previous_alert_id, None);
    // Withheld is not sent, so it starts no cooldown: the next rise is news.
    let events = run(vec![
        raise(RaiseAlert {
            withheld_by_budget: Some(no_room()),
            ..escalation("A1", Band::High, "2026-03-01T10:00:00Z")
        }),
        raise(escalation("A2", Band::High, "2026-03-01T11:00:00Z")),
    ])
    .expect("decided");
    assert!(matches!(&events[1], CustomerEvent::AlertRaised(_)));
}

#[test]
fn a_stale_escalation_is_stale_not_budget_and_a_manual_alert_ignores_the_budget() {
    let events = run(vec![
        raise(RaiseAlert {
            decided_at: Some(at("2026-12-01T09:00:00Z")),
            max_age_seconds: Some(72 * 3600),
            withheld_by_budget: Some(no_room()),
            ..escalation("A1", Band::High, "2026-06-01T10:00:00Z")
        }),
        raise(RaiseAlert {
            cause: AlertCause::Manual {
                requested_by: "alice".into(),
                reason: "called".into(),
            },
            withheld_by_budget: Some(no_room()),
            ..escalation("M1", Band::High, "2026-12-01T09:00:00Z")
        }),
    ])
    .expect("decided");
    let CustomerEvent::AlertSuppressed(s) = &events[0] else {
        panic!("stale, got {:?}", events[0]);
    };
    assert_eq!((s.reason, s.budget), (SuppressionReason::Stale, None));
    assert!(matches!(&events[1], CustomerEvent::AlertRaised(_)));
}

#[test]
fn events_recorded_before_the_budget_existed_still_read() {
    let command = serde_json::json!({
        "alert_id": "A1",
        "cause": {"kind": "manual", "requested_by": "a", "reason": "b"},
        "template": {"name": "risk_alert", "language": "en", "parameters": "first_name_and_headline"},
        "fallback": null,
        "raised_at": "2026-03-01T21:00:00Z",
        "cooldown_seconds": 0
    });
    let c: RaiseAlert = serde_json::from_value(command).expect("old command");
    assert_eq!(c.withheld_by_budget, None);
    let suppressed = serde_json::json!({
        "alert_id": "A1",
        "cause": {"kind": "manual", "requested_by": "a", "reason": "b"},
        "reason": "stale",
        "previous_alert_id": null,
        "cooldown_until": null,
        "raised_at": "2026-03-01T21:00:00Z"
    });
    let s: AlertSuppressed = serde_json::from_value(suppressed).expect("old event");
    assert_eq!(s.budget, None);
    // And a stale one is written as before: no `budget` key.
    let again = serde_json::to_value(&s).expect("json");
    assert!(again.get("budget").is_none(), "{again}");
}

#[test]
fn a_manual_alert_ignores_the_cooldown_but_needs_a_reason() {
    let manual = |id: &str, reason: &str| {
        raise(RaiseAlert {
            alert_id: alert_id(id),
            cause: AlertCause::Manual {
                requested_by: "admin".into(),
                reason: reason.into(),
            },
            template: flagged(),
            fallback: None,
            raised_at: at("2026-03-01T11:00:00Z"),
            cooldown_seconds: 0,
            decided_at: None,
            max_age_seconds: None,
            withheld_by_budget: None,
        })
    };
    let events = run(vec![
        raise(escalation("A1", Band::High, "2026-03-01T10:00:00Z")),
        manual("M1", "customer called about a missed payment"),
    ])
    .expect("ok");
    assert!(matches!(events[1], CustomerEvent::AlertRaised(_)));
    let err = run(vec![manual("M2", "  ")]).expect_err("empty reason");
    assert_eq!(err.field(), Some("reason"));
}

#[test]
fn an_outcome_is_recorded_once_and_reports_need_a_raised_alert() {
    let events = run(vec![
        raise(escalation("A1", Band::High, "2026-03-01T10:00:00Z")),
        sent("A1", "wamid.1"),
        sent("A1", "wamid.1"),
        CustomerCommand::RecordAlertFailed(Box::new(AlertFailed {
            alert_id: alert_id("A1"),
            code: Some(131026),
            reason: "late".into(),
            permanent: true,
            attempts: 1,
            failures: vec![],
            failed_at: at("2026-03-01T10:00:02Z"),
        })),
    ])
    .expect("ok");
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        run(vec![sent("nope", "wamid.1")]).expect_err("unknown"),
        CustomerError::UnknownAlert { id: "nope".into() }
    );
    let err = run(vec![
        raise(escalation("A1", Band::High, "2026-03-01T10:00:00Z")),
        raise(escalation("A2", Band::High, "2026-03-01T11:00:00Z")),
        sent("A2", "wamid.2"),
    ])
    .expect_err("suppressed alerts are never sent");
    assert_eq!(err.field(), Some("alert_id"));
    let err = run(vec![
        raise(escalation("A1", Band::High, "2026-03-01T10:00:00Z")),
        sent("A1", ""),
    ])
    .expect_err("empty wamid");
    assert_eq!(err.field(), Some("wamid"));
}

#[test]
fn duplicate_and_out_of_order_statuses_are_each_recorded_once() {
    let events = run(vec![
        raise(escalation("A1", Band::High, "2026-03-01T10:00:00Z")),
        delivery("A1", DeliveryStatus::Read, "2026-03-01T10:05:00Z"),
        delivery("A1", DeliveryStatus::Sent, "2026-03-01T10:00:01Z"),
        delivery("A1", DeliveryStatus::Read, "2026-03-01T10:05:00Z"),
        delivery("A1", DeliveryStatus::Delivered, "2026-03-01T10:00:02Z"),
        delivery("A1", DeliveryStatus::Delivered, "2026-03-01T10:00:09Z"),
    ])
    .expect("ok");
    let statuses: Vec<DeliveryStatus> = events
        .iter()
        .filter_map(|e| match e {
            CustomerEvent::AlertDeliveryUpdated(d) => Some(d.status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Read,
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered
        ]
    );
    let furthest = statuses
        .iter()
        .fold(None, |acc, s| Some(DeliveryStatus::furthest(acc, *s)));
    assert_eq!(furthest, Some(DeliveryStatus::Read));
    assert_eq!(
        DeliveryStatus::furthest(Some(DeliveryStatus::Failed), DeliveryStatus::Delivered),
        DeliveryStatus::Failed
    );
}

#[test]
fn an_alert_for_an_unregistered_customer_is_refused() {
    CustomerTest::with(KnownFacts::none())
        .given_no_previous_events()
        .when(cmd(raise(escalation(
            "A1",
            Band::High,
            "2026-03-01T10:00:00Z",
        ))))
        .then_expect_error(CustomerError::NotRegistered);
}

#[test]
fn alerts_change_no_feature() {
    let events = run(vec![
        raise(escalation("A1", Band::High, "2030-03-01T10:00:00Z")),
        sent("A1", "wamid.1"),
    ])
    .expect("ok");
    let mut with = crate::features::FeatureState::default();
    let mut without = crate::features::FeatureState::default();
    with.apply(&registered());
    without.apply(&registered());
    for e in &events {
        with.apply(e);
    }
    assert_eq!(with.latest_event_at(), without.latest_event_at());
    let as_of = at("2026-04-01T00:00:00Z");
    assert_eq!(
        format!("{:?}", with.features(as_of)),
        format!("{:?}", without.features(as_of))
    );
}
