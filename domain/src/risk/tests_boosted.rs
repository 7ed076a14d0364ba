//! Boosted challenger tests: the forest's TreeSHAP against brute-force
//! Shapley values of the summed path-dependent game, additivity in log-odds
//! and in the ensemble's probability, validation, and that an artifact
//! without a challenger keeps its JSON (and so its version).

use super::tests_explain::{conditional, random_features, random_tree, Rng};
use super::*;

/// Exact Shapley values of the forest's game (the sum of its trees' games)
/// over all 2^m coalitions.
fn brute_force(forest: &Boosted, x: &[f64], m: usize) -> Vec<f64> {
    let v = |s: u32| -> f64 { forest.trees.iter().map(|t| conditional(t, 0, x, s)).sum() };
    let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
    (0..m)
        .map(|i| {
            (0..1u32 << m)
                .filter(|s| s & (1 << i) == 0)
                .map(|s| {
                    let k = s.count_ones() as usize;
                    fact(k) * fact(m - k - 1) / fact(m) * (v(s | 1 << i) - v(s))
                })
                .sum()
        })
        .collect()
}

/// A forest of `trees` random trees over `m` features, leaf values moved to
/// log-odds steps of either sign.
fn random_forest(rng: &mut Rng, m: usize, trees: usize) -> Boosted {
    let trees = (0..trees)
        .map(|_| {
            let mut nodes = Vec::new();
            random_tree(rng, m, 3, &mut nodes);
            for n in &mut nodes {
                n.probability = (n.probability - 0.5) * 0.8;
            }
            Tree { nodes }
        })
        .collect();
    Boosted {
        base_log_odds: -1.2,
        trees,
    }
}

#[test]
fn forest_shap_equals_brute_force_and_adds_up_in_log_odds() {
    let mut rng = Rng(7);
    for _ in 0..40 {
        let m = 1 + (rng.next() % 5) as usize;
        let trees = 1 + (rng.next() % 6) as usize;
        let forest = random_forest(&mut rng, m, trees);
        forest.validate(m).expect("valid forest");
        for _ in 0..5 {
            let x: Vec<f64> = (0..m)
                .map(|_| rng.pick(&[0.1, 0.25, 0.5, 0.6, 0.9]))
                .collect();
            let phi = forest.shap(&x, m);
            for (a, b) in phi.iter().zip(brute_force(&forest, &x, m)) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
            let sum: f64 = phi.iter().sum();
            let gap = forest.expected_log_odds() + sum - forest.log_odds(&x);
            assert!(gap.abs() < 1e-12, "off by {gap}");
        }
    }
}

/// The demo model with a challenger over its features carrying all the weight.
fn champion(rng: &mut Rng) -> ModelArtifact {
    let mut model = demo_artifact();
    let forest = random_forest(rng, model.features.len(), 8);
    model.boosted = Some(forest);
    model.ensemble = Ensemble {
        logistic_weight: 0.0,
        tree_weight: 0.0,
        boosted_weight: 1.0,
    };
    model.validate().expect("valid champion");
    model
}

#[test]
fn a_boosted_champion_scores_and_explains_additively() {
    let mut rng = Rng(11);
    let model = champion(&mut rng);
    for _ in 0..50 {
        let features = random_features(&mut rng);
        let scores = model.score(&features);
        let boosted = scores.boosted.expect("the challenger scored");
        assert_eq!(scores.ensemble, boosted);
        let e = model.explain(&features);
        let sum: f64 = e.contributions.iter().map(|c| c.combined).sum();
        assert!((e.base_value + sum - scores.ensemble).abs() < 1e-12);
        assert!(e.contributions.iter().all(|c| c.boosted.is_some()));
        assert_eq!(e.boosted_base, Some(e.base_value));
        // The same inputs give the same bits.
        assert_eq!(model.score(&features), scores);
        assert_eq!(model.explain(&features), e);
    }
}

#[test]
fn a_mixed_ensemble_adds_up_too() {
    let mut rng = Rng(12);
    let mut model = champion(&mut rng);
    model.ensemble = Ensemble {
        logistic_weight: 0.3,
        tree_weight: 0.2,
        boosted_weight: 0.5,
    };
    model.validate().expect("valid");
    for _ in 0..50 {
        let features = random_features(&mut rng);
        let s = model.score(&features);
        let expected = 0.3 * s.logistic + 0.2 * s.tree + 0.5 * s.boosted.expect("scored");
        assert!((s.ensemble - expected).abs() < 1e-15);
        let e = model.explain(&features);
        let sum: f64 = e.contributions.iter().map(|c| c.combined).sum();
        assert!((e.base_value + sum - s.ensemble).abs() < 1e-12);
    }
}

#[test]
fn validation_refuses_a_weight_without_a_model_and_a_broken_forest() {
    let mut model = demo_artifact();
    model.ensemble = Ensemble {
        logistic_weight: 0.5,
        tree_weight: 0.0,
        boosted_weight: 0.5,
    };
    let err = model.validate().expect_err("no boosted model");
    assert!(err.to_string().contains("ensemble.boosted_weight"), "{err}");

    let mut rng = Rng(13);
    let mut model = champion(&mut rng);
    if let Some(b) = model.boosted.as_mut() {
        b.trees[2].nodes[0].probability = f64::INFINITY;
    }
    let err = model.validate().expect_err("a value that is not finite");
    assert!(err.to_string().contains("boosted.trees[2]"), "{err}");

    let mut model = champion(&mut rng);
    if let Some(b) = model.boosted.as_mut() {
        b.base_log_odds = f64::NAN;
    }
    assert!(model.validate().is_err());

    let mut model = champion(&mut rng);
    model.boosted = Some(Boosted {
        base_log_odds: 0.0,
        trees: Vec::new(),
    });
    let err = model.validate().expect_err("no trees");
    assert!(err.to_string().contains("boosted.trees"), "{err}");
}

#[test]
fn without_a_challenger_the_json_and_the_scores_are_what_they_were() {
    let model = demo_artifact();
    let json = serde_json::to_value(&model).expect("json");
    assert!(json.get("boosted").is_none());
    assert!(json["ensemble"].get("boosted_weight").is_none());
    let mut rng = Rng(14);
    let features = random_features(&mut rng);
    let s = model.score(&features);
    assert_eq!(s.boosted, None);
    assert_eq!(s.ensemble, 0.6 * s.logistic + 0.4 * s.tree);
    let scores = serde_json::to_value(s).expect("json");
    assert!(scores.get("boosted").is_none());
    // A challenger changes the version.
    let with = champion(&mut rng);
    assert_ne!(with.version(), model.version());
}
