//! Tests of the one decide function: news only, the decision's identity and
//! moment, and the same answer from a state as from its features.

use chrono::{DateTime, Utc};

use super::tests_assess::with;
use super::*;
use crate::customer::{DecisionTrigger, LogCheckpoint};
use crate::features::FeatureState;

fn point(as_of: &str) -> DecisionPoint<'static> {
    DecisionPoint {
        customer_id: "C-1",
        trigger: DecisionTrigger {
            sequence: 7,
            global_position: 42,
            event_type: "TransactionRecorded".into(),
        },
        checkpoint: LogCheckpoint {
            tx_id: 9,
            position: 42,
        },
        as_of: as_of.parse::<DateTime<Utc>>().expect("time"),
    }
}

#[test]
fn only_news_is_decided_and_a_decision_carries_its_point() {
    let model = demo_artifact();
    let features = with(&[("utilisation", 0.95)]);
    let p = point("2026-03-01T10:00:00Z");
    let first = decide_features(&model, "v1", features, &p, None);
    let d = first.decision.expect("no last decision: always decided");
    assert_eq!(d.decision_id, "C-1:42");
    assert_eq!(d.as_of, p.as_of);
    assert_eq!(d.model_version, "v1");
    assert_eq!(d.band, first.verdict.band);
    assert_eq!(
        d,
        decision::record(&model, "v1", first.verdict.clone(), features, &p)
    );
    let rules: Vec<String> = d.fired_rules.iter().map(|r| r.id.clone()).collect();
    assert!(!rules.is_empty(), "the utilisation rule fires");

    // The same band and rules as last decided: nothing new.
    let same = LastDecision {
        band: d.band,
        rules: &rules,
    };
    assert_eq!(
        decide_features(&model, "v1", features, &p, Some(same)).decision,
        None
    );
    // Another band, or a rule that had not fired: news.
    let lower = LastDecision {
        band: Band::Low,
        rules: &rules,
    };
    assert!(decide_features(&model, "v1", features, &p, Some(lower))
        .decision
        .is_some());
    let fewer = LastDecision {
        band: d.band,
        rules: &[],
    };
    assert!(decide_features(&model, "v1", features, &p, Some(fewer))
        .decision
        .is_some());
    // A rule that stopped firing is no news by itself.
    let more: Vec<String> = rules.iter().cloned().chain(["other".to_owned()]).collect();
    let superset = LastDecision {
        band: d.band,
        rules: &more,
    };
    assert_eq!(
        decide_features(&model, "v1", features, &p, Some(superset)).decision,
        None
    );
}

#[test]
fn deciding_from_a_state_is_deciding_from_its_features_as_of_the_point() {
    let model = demo_artifact();
    let state = FeatureState::default();
    for at in ["2026-03-01T10:00:00Z", "2027-01-01T00:00:00Z"] {
        let p = point(at);
        assert_eq!(
            decide(&model, "v", &state, &p, None),
            decide_features(&model, "v", state.features(p.as_of), &p, None)
        );
    }
}

#[test]
fn a_day_end_decision_is_named_by_its_customer_and_day_and_decided_at_the_day_end() {
    let model = demo_artifact();
    let checkpoint = LogCheckpoint {
        tx_id: 9,
        position: 42,
    };
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let p = DecisionPoint::at_day_end("C-1", 7, checkpoint, day);
    assert!(p.is_day_end());
    assert_eq!(
        p.as_of,
        "2027-01-01T00:00:00Z".parse::<DateTime<Utc>>().expect("t")
    );
    assert_eq!(p.decision_id(), "C-1:day:2026-12-31");
    assert_eq!(p.trigger.sequence, 7);
    assert_eq!(p.trigger.global_position, 42);
    let d = decide_features(&model, "v1", with(&[("utilisation", 0.95)]), &p, None)
        .decision
        .expect("decided");
    assert_eq!(d.day_ended(), Some(day));
    assert_eq!(d.decision_id, "C-1:day:2026-12-31");
    // An event's decision is not a day-end one.
    let e = decide_features(
        &model,
        "v1",
        with(&[]),
        &point("2026-03-01T10:00:00Z"),
        None,
    )
    .decision
    .expect("decided");
    assert_eq!(e.day_ended(), None);
    assert_eq!(day_ended_at(end_of_day(day)), day);
}

#[test]
fn a_decision_id_names_its_customer_in_either_shape() {
    assert_eq!(decision_customer("C-1:42"), Some("C-1"));
    assert_eq!(decision_customer("C-1:day:2026-12-31"), Some("C-1"));
    // Customer ids may hold ':'.
    assert_eq!(decision_customer("bank:C-1:42"), Some("bank:C-1"));
    assert_eq!(decision_customer("bank:day:2026-12-31"), Some("bank"));
    assert_eq!(
        decision_customer("c:day:2026-05-12:7"),
        Some("c:day:2026-05-12")
    );
    for bad in [
        "C-1",
        ":42",
        "C-1:",
        "C-1:x",
        "C-1:day:2026-13-01",
        "C-1:day:",
        ":day:2026-01-01",
        "C-1:99999999999999999999",
    ] {
        assert_eq!(decision_customer(bad), None, "{bad}");
    }
}
