//! Model changes keep history true: after the scoring model is replaced,
//! the decisions of the old model still replay to a match with the model
//! that made them (from the registry), the new model's with the new one —
//! and replaying a decision with the other model would not match.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use audit::fold::ScoringFold;
use audit::replay::{judge, Evidence, Verdict};
use audit::verify::{verify, VerifyOptions};
use common::*;
use domain::customer::RiskAssessed;
use domain::risk::{demo_artifact, ModelArtifact};
use domain::CustomerEvent;
use store::testing::fresh_database;

fn shipped_model() -> ModelArtifact {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts/model.json");
    let text = std::fs::read_to_string(path).expect("artifacts/model.json");
    ModelArtifact::parse(&text).expect("a valid artifact")
}

#[tokio::test]
async fn old_decisions_replay_with_their_model_after_a_model_change() {
    let db = fresh_database().await;
    let (old, new) = (demo_artifact(), shipped_model());
    let (old_version, new_version) = (old.version(), new.version());
    assert_ne!(old_version, new_version);
    let parts = in_parts(24, 2);
    let bus = bus(&db.pool);

    // Months of activity scored and decided by the old model…
    let before = ReadSide::start(&db.pool, old.clone(), 9).await;
    write(&bus, parts[0].clone()).await;
    before.settle().await;
    // …then the model is replaced (the projection carries on from its
    // checkpoint) and new activity is scored by the new one.
    let after = ReadSide::start(&db.pool, new.clone(), 9).await;
    write(&bus, parts[1].clone()).await;
    after.settle().await;

    let decisions = audit::log::streams(
        &db.pool,
        &(0..24).map(|c| format!("P{c:03}")).collect::<Vec<_>>(),
    )
    .await
    .expect("streams");
    let mut by_model: BTreeMap<String, usize> = BTreeMap::new();
    for e in &decisions {
        if let CustomerEvent::RiskAssessed(d) = &e.event {
            *by_model
                .entry(d.assessment.model_version.clone())
                .or_default() += 1;
        }
    }
    assert!(
        by_model.get(&old_version).is_some_and(|n| *n > 0),
        "{by_model:?}"
    );
    assert!(
        by_model.get(&new_version).is_some_and(|n| *n > 0),
        "{by_model:?}"
    );
    assert_eq!(by_model.len(), 2);

    // Every decision replays to a match, each with the model it names.
    let report = verify(&db.pool, &VerifyOptions::default(), Arc::new(|_| {}))
        .await
        .expect("verify");
    assert_eq!(report.summary.decisions, by_model.values().sum::<usize>());
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);

    // The model matters: judged with the other model, decisions differ.
    let (mut differ, mut judged) = (0, 0);
    at_their_checkpoints(&decisions, |d, evidence| {
        let other = if d.assessment.model_version == old_version {
            &new
        } else {
            &old
        };
        judged += 1;
        if let Verdict::Mismatch(diffs) = judge(d, evidence, &Ok(Arc::new(other.clone()))) {
            assert!(
                diffs.iter().any(|x| x.field.starts_with("scores.")),
                "{diffs:?}"
            );
            differ += 1;
        }
    });
    assert!(judged > 0);
    assert_eq!(
        differ, judged,
        "a decision replayed to a match with the other model"
    );
}

#[tokio::test]
async fn a_decision_recorded_before_a_newer_feature_still_replays() {
    let db = fresh_database().await;
    let model = demo_artifact();
    let bus = bus(&db.pool);
    let side = ReadSide::start(&db.pool, model.clone(), 9).await;
    let ids: Vec<String> = (0..6).map(|c| format!("P{c:03}")).collect();
    // A purchase after the third statement's due date, so each customer is
    // decided with three due statements (P001's second payment bounced:
    // its `payment_ratio_change` is not 0).
    let mut items = in_parts(6, 1)[0].clone();
    items.extend(ids.iter().map(|id| {
        command(
            id,
            serde_json::json!({"command": "record_transaction", "data": {
            "transaction_id": format!("{id}-may"), "amount_minor": 1_000, "currency": "INR",
            "kind": "purchase", "merchant_category_code": "5411", "channel": "pos",
            "occurred_at": "2026-05-05T12:00:00Z"}}),
        )
    }));
    write(&bus, items).await;
    side.settle().await;
    let events = audit::log::streams(&db.pool, &ids).await.expect("streams");
    for newer in ["credit_limit", "utilisation_trend", "payment_ratio_change"] {
        assert!(!model.features.iter().any(|f| f == newer));
        let (mut judged, mut with_value) = (0, 0);
        at_their_checkpoints(&events, |d, evidence| {
            // The decision as an older build wrote it: without the feature.
            let mut old = serde_json::to_value(d).expect("json");
            let features = old
                .pointer_mut("/assessment/features")
                .and_then(|f| f.as_object_mut())
                .expect("features");
            let had = features
                .remove(newer)
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            let old: RiskAssessed = serde_json::from_value(old).expect("an old decision");
            judged += 1;
            let verdict = judge(&old, evidence, &Ok(Arc::new(model.clone())));
            assert_eq!(verdict, Verdict::Match, "{newer}: {verdict:?}");
            if had == 0.0 {
                return;
            }
            with_value += 1;
            // A model that reads the feature is compared on it.
            let mut reading = model.clone();
            reading.features.push(newer.into());
            reading.standardisation.push(domain::risk::Standardiser {
                mean: 0.0,
                std: 1.0,
            });
            reading.logistic.coefficients.push(0.0);
            reading.background_means.push(0.0);
            let Verdict::Mismatch(diffs) = judge(&old, evidence, &Ok(Arc::new(reading))) else {
                panic!("a model that reads {newer} must see it is missing");
            };
            let field = format!("features.{newer}");
            assert!(diffs.iter().any(|x| x.field == field), "{diffs:?}");
        });
        assert!(
            judged > 0 && with_value > 0,
            "{newer}: {judged} judged, {with_value} with a value"
        );
    }
}

/// Calls `each` with every decision whose trigger is the last behaviour
/// event before it (nothing committed in between, so the fold is at its
/// checkpoint) and the evidence a replay re-derives for it.
fn at_their_checkpoints(
    events: &[audit::log::LogEvent],
    mut each: impl FnMut(&RiskAssessed, &Evidence<'_>),
) {
    for stream in events.chunk_by(|a, b| a.customer_id == b.customer_id) {
        let mut fold = ScoringFold::default();
        let mut band_before = domain::risk::Band::Low;
        for e in stream {
            fold.apply(e);
            let CustomerEvent::RiskAssessed(d) = &e.event else {
                continue;
            };
            if fold.trigger().map(|t| t.checkpoint.position)
                == Some(d.assessment.checkpoint.position)
            {
                let evidence = Evidence {
                    customer_id: &e.customer_id,
                    trigger: fold.trigger(),
                    features: fold.as_of().zip(fold.features()),
                    band_before,
                };
                each(d, &evidence);
            }
            band_before = d.assessment.band;
        }
    }
}
