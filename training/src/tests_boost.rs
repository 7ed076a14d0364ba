//! Challenger tests: the boosted forest learns an interaction a linear model
//! cannot, is the same forest on every fit, honours its leaf size and left-out
//! features, and scores in the domain exactly as it was trained; the champion
//! is chosen on validation rows.

use domain::features::FEATURE_NAMES;
use domain::risk::ModelArtifact;

use crate::boost::{fit_boosted, BoostConfig};
use crate::champion::{choose, with_forest};
use crate::metrics::auc;
use crate::tests::synthetic;
use crate::{evaluate, fit, FitConfig};

const SMALL: BoostConfig = BoostConfig {
    trees: 40,
    max_depth: 3,
    learning_rate: 0.2,
    min_leaf: 20,
    lambda: 1.0,
    max_bins: 16,
    monotone: false,
};

/// Default when features 0 and 1 are on the same side of 0.5 (an XOR: no
/// single feature says anything), with 10 % of labels flipped.
fn interaction(n: usize) -> crate::Dataset {
    synthetic(n, |r, u| ((r[0] > 0.5) == (r[1] > 0.5)) != (u < 0.1))
}

#[test]
fn the_forest_learns_an_interaction_and_scores_in_the_domain_as_trained() {
    let data = interaction(2_000);
    let forest = fit_boosted(&data, &SMALL, &[false; 16]).expect("fit");
    forest.validate(FEATURE_NAMES.len()).expect("valid forest");
    let scores: Vec<f64> = data.x.iter().map(|r| forest.predict(r)).collect();
    let a = auc(&scores, &data.y);
    assert!(a > 0.85, "training AUC {a}");
    // Every leaf holds at least min_leaf training rows.
    for tree in &forest.trees {
        for node in tree.nodes.iter().filter(|n| n.split().is_none()) {
            assert!(node.cover >= SMALL.min_leaf as f64, "{}", node.cover);
        }
    }
    // Exact additive explanations over the fitted forest.
    for r in data.x.iter().take(50) {
        let phi = forest.shap(r, FEATURE_NAMES.len());
        let gap = forest.expected_log_odds() + phi.iter().sum::<f64>() - forest.log_odds(r);
        assert!(gap.abs() < 1e-9, "{gap}");
    }
}

#[test]
fn the_same_rows_give_the_same_forest_and_left_out_features_are_never_split() {
    let data = interaction(1_000);
    let mut excluded = [false; 16];
    excluded[1] = true;
    let a = fit_boosted(&data, &SMALL, &excluded).expect("fit");
    let b = fit_boosted(&data, &SMALL, &excluded).expect("fit");
    assert_eq!(a, b);
    assert!(a
        .trees
        .iter()
        .flat_map(|t| &t.nodes)
        .all(|n| n.feature != Some(1)));
    // Without feature 1 the interaction cannot be learned (measured on rows
    // the forests did not see: on its own rows a forest also fits noise).
    let (train, test) = interaction(4_000).split(0.5, 3);
    let without = fit_boosted(&train, &SMALL, &excluded).expect("fit");
    let with = fit_boosted(&train, &SMALL, &[false; 16]).expect("fit");
    let auc_of = |f: &domain::risk::Boosted| {
        let scores: Vec<f64> = test.x.iter().map(|r| f.predict(r)).collect();
        auc(&scores, &test.y)
    };
    let a = without;
    assert!(
        auc_of(&a) + 0.15 < auc_of(&with),
        "{} vs {}",
        auc_of(&a),
        auc_of(&with)
    );
}

#[test]
fn one_label_only_is_refused() {
    let data = synthetic(200, |_, _| false);
    assert!(fit_boosted(&data, &SMALL, &[false; 16]).is_err());
}

#[test]
fn the_challenger_wins_on_validation_where_it_is_better_and_decides_then() {
    let data = interaction(3_000);
    let cfg = FitConfig {
        known_directions: false,
        ..FitConfig::default()
    };
    let choice = choose(&data, &cfg, &SMALL).expect("choose");
    assert!(choice.boosted_wins(), "{choice:?}");
    let baseline = fit(&data, &cfg, "b", "b", "2026-01-01T00:00:00Z").expect("fit");
    let deciding = with_forest(&baseline, &data, &cfg, &SMALL).expect("forest");
    let beside = ModelArtifact {
        ensemble: baseline.ensemble,
        ..deciding.clone()
    };
    beside.validate().expect("valid");
    deciding.validate().expect("valid");
    // Beside the baseline the forest changes nothing; deciding, it is the score.
    let (b, d) = (evaluate(&beside, &data), evaluate(&deciding, &data));
    assert_eq!(b.ensemble, evaluate(&baseline, &data).ensemble);
    assert!(d.ensemble.auc > b.ensemble.auc + 0.1, "{d:?} vs {b:?}");
}

#[test]
fn with_known_directions_held_the_score_only_moves_their_way() {
    // Risk is U-shaped in utilisation (feature 0, known to raise risk) and
    // falls then rises in payment_ratio (feature 6, known to lower it).
    let data = synthetic(3_000, |r, u| {
        u < 0.1 + 0.6 * (r[0] - 0.4).abs() + 0.4 * (r[6] - 0.3).abs()
    });
    let free = fit_boosted(&data, &SMALL, &[false; 16]).expect("fit");
    let held = fit_boosted(
        &data,
        &BoostConfig {
            monotone: true,
            ..SMALL
        },
        &[false; 16],
    )
    .expect("fit");
    held.validate(FEATURE_NAMES.len()).expect("valid forest");
    let grid: Vec<f64> = (0..=20).map(|k| f64::from(k) / 20.0).collect();
    let mut free_breaks = 0;
    for row in data.x.iter().take(40) {
        for (feature, direction) in [(0usize, 1.0), (6, -1.0)] {
            let along = |forest: &domain::risk::Boosted| -> Vec<f64> {
                grid.iter()
                    .map(|v| {
                        let mut x = *row;
                        x[feature] = *v;
                        forest.log_odds(&x)
                    })
                    .collect()
            };
            let held_scores = along(&held);
            for w in held_scores.windows(2) {
                assert!(direction * (w[1] - w[0]) >= -1e-12, "{feature}: {w:?}");
            }
            let free_scores = along(&free);
            free_breaks += free_scores
                .windows(2)
                .filter(|w| direction * (w[1] - w[0]) < -1e-9)
                .count();
        }
    }
    // The data does break the directions, and the free forest follows it.
    assert!(free_breaks > 0);
}
