//! Artifact tests: canonical bytes, a stable version, validation failures,
//! and an artifact over a subset of the features in another order.

use serde_json::{json, Value};

use super::canonical::{write_canonical, write_string};
use super::tests_explain::features_of;
use super::*;
use crate::features::FEATURE_COUNT;

fn json_of(model: &ModelArtifact) -> String {
    serde_json::to_string(model).expect("serialises")
}

/// JSON text with every object's keys in reverse order, and spaces.
fn reversed(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                reversed(item, out);
            }
            out.push_str(" ]");
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.reverse();
            out.push_str("{ ");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n ");
                }
                write_string(key, out);
                out.push_str(" : ");
                reversed(&map[key], out);
            }
            out.push_str(" }");
        }
        other => write_canonical(other, out),
    }
}

#[test]
fn canonical_json_sorts_keys_recursively_without_whitespace() {
    let value = json!({"b": 1, "a": {"d": [1.5, "x\"\n"], "c": null}, "A": true});
    let mut out = String::new();
    write_canonical(&value, &mut out);
    assert_eq!(out, r#"{"A":true,"a":{"c":null,"d":[1.5,"x\"\n"]},"b":1}"#);
}

#[test]
fn demo_artifact_is_valid_and_its_version_is_sha256_hex() {
    let model = demo_artifact();
    assert_eq!(model.validate(), Ok(()));
    let v = model.version();
    assert_eq!(v.len(), 64);
    assert!(v
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(model.tree.depth(), 3);
    assert!((model.tree_expected_value - 0.13267).abs() < 1e-12);
    assert_eq!(model.tree.nodes[0].cover, 10_000.0);
}

#[test]
fn version_survives_a_round_trip_and_ignores_layout_and_key_order() {
    let model = demo_artifact();
    let parsed = ModelArtifact::parse(&json_of(&model)).expect("parses");
    assert_eq!(parsed, model);
    assert_eq!(parsed.version(), model.version());
    assert_eq!(parsed.canonical_bytes(), model.canonical_bytes());
    let pretty = serde_json::to_string_pretty(&model).expect("serialises");
    assert_eq!(
        ModelArtifact::parse(&pretty).expect("parses").version(),
        model.version()
    );
    let mut text = String::new();
    reversed(&serde_json::to_value(&model).expect("to value"), &mut text);
    assert!(
        text.starts_with("{ \"tree_expected_value\""),
        "{}",
        &text[..40]
    );
    let shuffled = ModelArtifact::parse(&text).expect("parses");
    assert_eq!(shuffled.version(), model.version());
}

#[test]
fn any_change_changes_the_version() {
    let model = demo_artifact();
    let mut changed = model.clone();
    changed.logistic.coefficients[3] += 1e-12;
    assert_ne!(changed.version(), model.version());
    let mut changed = model.clone();
    changed.rules.rules[0].threshold = 0.95;
    assert_ne!(changed.version(), model.version());
    let mut changed = model.clone();
    changed.training.notes.push('.');
    assert_ne!(changed.version(), model.version());
}

fn rejects(change: impl FnOnce(&mut ModelArtifact)) -> ArtifactError {
    let mut model = demo_artifact();
    change(&mut model);
    let err = model.validate().expect_err("rejected");
    // parse rejects the same artifact for the same reason.
    if let Ok(text) = serde_json::to_string(&model) {
        if serde_json::from_str::<ModelArtifact>(&text).is_ok() {
            assert_eq!(ModelArtifact::parse(&text), Err(err.clone()));
        }
    }
    err
}

#[test]
fn validation_rejects_inconsistent_artifacts() {
    assert_eq!(
        rejects(|m| m.schema = 2),
        ArtifactError::Schema { found: 2 }
    );
    assert!(matches!(
        rejects(|m| {
            m.background_means.pop();
        }),
        ArtifactError::Length { .. }
    ));
    assert!(matches!(
        rejects(|m| {
            m.logistic.coefficients.push(0.0);
        }),
        ArtifactError::Length { .. }
    ));
    assert_eq!(
        rejects(|m| m.features[1] = "income".into()),
        ArtifactError::UnknownFeature("income".into())
    );
    assert_eq!(
        rejects(|m| m.features[1] = "utilisation".into()),
        ArtifactError::DuplicateFeature("utilisation".into())
    );
    assert!(matches!(
        rejects(|m| m.standardisation[0].std = 0.0),
        ArtifactError::Invalid { .. }
    ));
    assert!(matches!(
        rejects(|m| m.logistic.intercept = f64::NAN),
        ArtifactError::Invalid { .. }
    ));
    let tree = |e| matches!(e, ArtifactError::Tree { .. });
    assert!(tree(rejects(|m| m.tree.nodes[3].left = Some(2))));
    assert!(tree(rejects(|m| m.tree.nodes[3].left = Some(99))));
    assert!(tree(rejects(|m| m.tree.nodes[3].right = Some(7))));
    assert!(tree(rejects(
        |m| m.tree.nodes[3].feature = Some(FEATURE_COUNT)
    )));
    assert!(tree(rejects(|m| m.tree.nodes[3].right = None)));
    assert!(tree(rejects(|m| m.tree.nodes[9].probability = 1.5)));
    assert!(tree(rejects(|m| m.tree.nodes[9].cover += 1.0)));
    assert!(tree(rejects(|m| m.tree.nodes[9].cover = 0.0)));
    assert!(tree(rejects(|m| m.tree.nodes[0].threshold = f64::INFINITY)));
    assert!(matches!(
        rejects(|m| m.tree.nodes.clear()),
        ArtifactError::Invalid { .. }
    ));
    let invalid = |e| matches!(e, ArtifactError::Invalid { .. });
    assert!(invalid(rejects(|m| m.tree_expected_value += 0.01)));
    assert!(invalid(rejects(|m| m.ensemble.tree_weight = 0.5)));
    assert!(invalid(rejects(|m| m.ensemble.tree_weight = -0.4)));
    assert!(invalid(rejects(|m| m.bands.medium = 0.7)));
    assert!(invalid(rejects(|m| m.bands.high = 1.2)));
    assert!(invalid(rejects(
        |m| m.rules.rules[1].id = "utilisation_above_90".into()
    )));
    assert!(invalid(rejects(|m| m.rules.version.clear())));
    assert!(invalid(rejects(|m| m.rules.rules[0].threshold = f64::NAN)));
    assert_eq!(
        rejects(|m| m.rules.rules[0].feature = "age".into()),
        ArtifactError::UnknownFeature("age".into())
    );
    assert!(invalid(rejects(|m| {
        m.training.metrics.insert("auc".into(), f64::NAN);
    })));
    assert!(matches!(
        ModelArtifact::parse("{\"schema\": 1}"),
        Err(ArtifactError::Json(_))
    ));
}

/// A two-feature model (days past due, then utilisation): validation and
/// scoring are by name, not by position in `FEATURE_NAMES`.
#[test]
fn a_subset_of_features_in_another_order_scores_by_name() {
    let mut model = demo_artifact();
    model.features = vec!["days_past_due".into(), "utilisation".into()];
    model.standardisation = vec![
        Standardiser {
            mean: 2.0,
            std: 8.0,
        },
        Standardiser {
            mean: 0.35,
            std: 0.3,
        },
    ];
    model.logistic.coefficients = vec![0.45, 0.55];
    model.background_means = vec![2.0, 0.35];
    model.tree = Tree {
        nodes: vec![
            TreeNode {
                feature: Some(1),
                threshold: 0.8,
                left: Some(1),
                right: Some(2),
                cover: 10.0,
                probability: 0.2,
            },
            TreeNode {
                feature: None,
                threshold: 0.0,
                left: None,
                right: None,
                cover: 8.0,
                probability: 0.1,
            },
            TreeNode {
                feature: None,
                threshold: 0.0,
                left: None,
                right: None,
                cover: 2.0,
                probability: 0.6,
            },
        ],
    };
    model.tree_expected_value = 0.2;
    assert_eq!(model.validate(), Ok(()));
    let mut v = [0.0; FEATURE_COUNT];
    v[0] = 0.95; // utilisation
    v[11] = 10.0; // days past due
    let features = features_of(v);
    assert_eq!(model.inputs(&features), vec![10.0, 0.95]);
    let s = model.score(&features);
    assert_eq!(s.tree, 0.6);
    let z = -2.0 + 0.45 * ((10.0 - 2.0) / 8.0) + 0.55 * ((0.95 - 0.35) / 0.3);
    assert_eq!(s.logistic, sigmoid(z));
    let e = model.explain(&features);
    assert_eq!(e.contributions.len(), 2);
    assert_eq!(e.contributions[1].feature, "utilisation");
    assert_eq!(e.contributions[0].tree, 0.0);
    assert!((e.contributions[1].tree - 0.4).abs() < 1e-15);
}

#[test]
fn unknown_fields_are_rejected_rather_than_dropped_from_the_version() {
    let mut value = serde_json::to_value(demo_artifact()).expect("to value");
    value["ensemble"]["calibration"] = json!(1.0);
    let text = serde_json::to_string(&value).expect("json");
    assert!(matches!(
        ModelArtifact::parse(&text),
        Err(ArtifactError::Json(_))
    ));
    // A leaf may leave out its empty feature and children.
    let mut value = serde_json::to_value(demo_artifact()).expect("to value");
    let leaf = value["tree"]["nodes"][7].as_object_mut().expect("a node");
    for key in ["feature", "left", "right"] {
        leaf.remove(key);
    }
    let text = serde_json::to_string(&value).expect("json");
    let parsed = ModelArtifact::parse(&text).expect("parses");
    assert_eq!(parsed.version(), demo_artifact().version());
}
