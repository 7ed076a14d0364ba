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
