//! SHAP tests: a hand-computed two-feature tree, TreeSHAP against brute-force
//! Shapley values of the path-dependent game (demo tree and random trees),
//! and additivity of the logistic, tree and ensemble parts.

use super::*;
use crate::features::{Features, FEATURE_COUNT};

/// SplitMix64: a deterministic generator for test inputs.
pub(super) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Plausible features, often exactly on a tree threshold or rule boundary.
pub(super) fn random_features(rng: &mut Rng) -> Features {
    let mut v = [0.0; FEATURE_COUNT];
    let u = rng.unit();
    v[0] = rng.pick(&[0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 1.2, u * 1.5]);
    v[1] = rng.pick(&[0.0, 0.0, 1.0, 4.0]);
    v[2] = rng.pick(&[0.0, 0.3, 0.45, u]);
    v[3] = rng.unit() * 2.0 - 1.0;
    v[4] = rng.unit();
    v[5] = rng.unit() - 0.5;
    v[6] = rng.pick(&[0.0, 1.0, u]);
    v[7] = rng.unit();
    v[8] = rng.pick(&[0.0, 1.0, 2.0, 3.0, 6.0]);
    v[9] = rng.unit() * 2.0;
    v[10] = rng.unit() * 2.0;
    v[11] = rng.pick(&[0.0, 0.0, 1.0, 12.0, 30.0, 45.0]);
    v[12] = v[11].max(rng.pick(&[0.0, 20.0, 60.0]));
    v[13] = rng.pick(&[0.0, 1.0, 3.0]);
    // No draw, so the other inputs' stream is what it was.
    v[15] = 1_000.0 * (1.0 + v[8]);
    features_of(v)
}

pub(super) fn features_of(v: [f64; FEATURE_COUNT]) -> Features {
    let names = crate::features::FEATURE_NAMES;
    let map = names
        .iter()
        .zip(v)
        .map(|(n, x)| ((*n).to_owned(), serde_json::json!(x)))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map)).expect("every name is a field")
}

/// E[f | x_S] with the path-dependent (cover-weighted) expectation.
pub(super) fn conditional(tree: &Tree, i: usize, x: &[f64], mask: u32) -> f64 {
    let node = tree.nodes[i];
    match node.split() {
        None => node.probability,
        Some((f, l, r)) if mask & (1 << f) != 0 => {
            conditional(tree, if x[f] < node.threshold { l } else { r }, x, mask)
        }
        Some((_, l, r)) => {
            tree.nodes[l].cover / node.cover * conditional(tree, l, x, mask)
                + tree.nodes[r].cover / node.cover * conditional(tree, r, x, mask)
        }
    }
}

/// Exact Shapley values over all 2^m coalitions.
fn brute_force(tree: &Tree, x: &[f64], m: usize) -> Vec<f64> {
    let v: Vec<f64> = (0..1u32 << m).map(|s| conditional(tree, 0, x, s)).collect();
    let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
    let weight: Vec<f64> = (0..m)
        .map(|s| fact(s) * fact(m - s - 1) / fact(m))
        .collect();
    (0..m)
        .map(|i| {
            (0..1u32 << m)
                .filter(|s| s & (1 << i) == 0)
                .map(|s| {
                    weight[s.count_ones() as usize] * (v[(s | 1 << i) as usize] - v[s as usize])
                })
                .sum()
        })
        .collect()
}

fn node(feature: usize, threshold: f64, left: usize, right: usize, cover: f64) -> TreeNode {
    TreeNode {
        feature: Some(feature),
        threshold,
        left: Some(left),
        right: Some(right),
        cover,
        probability: 0.0,
    }
}

use super::fixture::leaf;

#[test]
fn two_feature_tree_matches_hand_computed_values() {
    // x0 < 0.5 ? (x1 < 0.5 ? 0.1 [2] : 0.3 [4]) : 0.8 [4]
    let tree = Tree {
        nodes: vec![
            node(0, 0.5, 1, 2, 10.0),
            node(1, 0.5, 3, 4, 6.0),
            leaf(4.0, 0.8),
            leaf(2.0, 0.1),
            leaf(4.0, 0.3),
        ],
    };
    assert!((tree.expected_value() - 0.46).abs() < 1e-15);
    let x = [0.2, 0.7];
    // v(∅) = 0.46, v({0}) = 7/30, v({1}) = 0.6·0.3 + 0.4·0.8 = 0.5, v({0,1}) = 0.3:
    // φ0 = ½(7/30 − 0.46 + 0.3 − 0.5) = −16/75, φ1 = ½(0.5 − 0.46 + 0.3 − 7/30) = 4/75.
    let phi = tree.shap(&x, 2);
    assert!((phi[0] - (-16.0 / 75.0)).abs() < 1e-12, "{phi:?}");
    assert!((phi[1] - 4.0 / 75.0).abs() < 1e-12, "{phi:?}");
    assert_eq!(brute_force(&tree, &x, 2).len(), 2);
    for (a, b) in phi.iter().zip(brute_force(&tree, &x, 2)) {
        assert!((a - b).abs() < 1e-12);
    }
    // x = (0.7, 0.2) lands in the 0.8 leaf; only x0 matters on that path.
    let phi = tree.shap(&[0.7, 0.2], 2);
    let expected = brute_force(&tree, &[0.7, 0.2], 2);
    assert!((phi[0] - expected[0]).abs() < 1e-12 && (phi[1] - expected[1]).abs() < 1e-12);
    assert!((phi[0] + phi[1] - (0.8 - 0.46)).abs() < 1e-12);
}

#[test]
fn demo_tree_shap_equals_brute_force_and_adds_up() {
    let model = demo_artifact();
    let mut rng = Rng(7);
    for _ in 0..40 {
        let x = model.inputs(&random_features(&mut rng));
        let phi = model.tree.shap(&x, FEATURE_COUNT);
        let reference = brute_force(&model.tree, &x, FEATURE_COUNT);
        for (j, (a, b)) in phi.iter().zip(&reference).enumerate() {
            assert!((a - b).abs() < 1e-12, "feature {j}: {a} vs {b} at {x:?}");
        }
        let sum: f64 = phi.iter().sum();
        let gap = model.tree.predict(&x) - model.tree.expected_value() - sum;
        assert!(gap.abs() < 1e-12, "{gap}");
    }
}

/// A random tree over `m` features, pre-order (children after parents).
pub(super) fn random_tree(
    rng: &mut Rng,
    m: usize,
    depth: usize,
    nodes: &mut Vec<TreeNode>,
) -> usize {
    let i = nodes.len();
    if depth == 0 || rng.unit() < 0.2 {
        nodes.push(leaf(1.0 + (rng.next() % 50) as f64, rng.unit()));
        return i;
    }
    nodes.push(leaf(0.0, 0.0));
    let (f, t) = (
        (rng.next() % m as u64) as usize,
        rng.pick(&[0.25, 0.5, 0.75]),
    );
    let l = random_tree(rng, m, depth - 1, nodes);
    let r = random_tree(rng, m, depth - 1, nodes);
    nodes[i] = node(f, t, l, r, nodes[l].cover + nodes[r].cover);
    i
}

#[test]
fn random_trees_match_brute_force() {
    let mut rng = Rng(2026);
    for _ in 0..60 {
        let m = 1 + (rng.next() % 5) as usize;
        let mut nodes = Vec::new();
        random_tree(&mut rng, m, 5, &mut nodes);
        let tree = Tree { nodes };
        for _ in 0..5 {
            let x: Vec<f64> = (0..m)
                .map(|_| rng.pick(&[0.1, 0.25, 0.5, 0.6, 0.9]))
                .collect();
            let phi = tree.shap(&x, m);
            for (a, b) in phi.iter().zip(brute_force(&tree, &x, m)) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
            let sum: f64 = phi.iter().sum();
            assert!((tree.expected_value() + sum - tree.predict(&x)).abs() < 1e-12);
        }
    }
}

/// The demo model with background means away from the standardisation means.
fn shifted_background() -> ModelArtifact {
    let mut model = demo_artifact();
    for (k, m) in model.background_means.iter_mut().enumerate() {
        *m += 0.05 * (k as f64 - 6.0);
    }
    model
}

#[test]
fn logistic_contributions_add_up_in_log_odds_and_probability() {
    let model = shifted_background();
    let mut rng = Rng(11);
    for _ in 0..200 {
        let features = random_features(&mut rng);
        let x = model.inputs(&features);
        let e = model.explain(&features);
        let base = model.logistic_base_log_odds();
        let z = model.logistic.log_odds(&model.standardisation, &x);
        let log_odds: f64 = e.contributions.iter().map(|c| c.lr_log_odds).sum();
        assert!((base + log_odds - z).abs() < 1e-12);
        let lr: f64 = e.contributions.iter().map(|c| c.lr).sum();
        let p = model.score(&features).logistic;
        assert!((e.logistic_base + lr - p).abs() < 1e-12);
        for c in &e.contributions {
            assert!(c.lr == 0.0 || c.lr.signum() == c.lr_log_odds.signum());
        }
    }
}

#[test]
fn logistic_base_is_the_intercept_when_the_backgrounds_agree() {
    let model = demo_artifact();
    assert!((model.logistic_base_log_odds() - model.logistic.intercept).abs() < 1e-15);
    // At the background itself every contribution is 0 (the σ'(b) branch).
    let mut v = [0.0; FEATURE_COUNT];
    v[..model.background_means.len()].copy_from_slice(&model.background_means);
    let e = model.explain(&features_of(v));
    assert!(e
        .contributions
        .iter()
        .all(|c| c.lr == 0.0 && c.lr_log_odds == 0.0));
    assert!((e.logistic_base - sigmoid(-2.0)).abs() < 1e-15);
}

#[test]
fn ensemble_contributions_add_up_to_the_ensemble_probability() {
    for model in [demo_artifact(), shifted_background()] {
        let mut rng = Rng(99);
        for _ in 0..200 {
            let features = random_features(&mut rng);
            let e = model.explain(&features);
            let s = model.score(&features);
            let sum: f64 = e.contributions.iter().map(|c| c.combined).sum();
            assert!((e.base_value + sum - s.ensemble).abs() < 1e-12);
            let tree: f64 = e.contributions.iter().map(|c| c.tree).sum();
            assert!((e.tree_base + tree - s.tree).abs() < 1e-12);
            let expected = 0.6 * e.logistic_base + 0.4 * e.tree_base;
            assert!((e.base_value - expected).abs() < 1e-15);
        }
    }
}
