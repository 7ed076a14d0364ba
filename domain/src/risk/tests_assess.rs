//! Assessment tests: bands, scores by hand, each seed rule at its boundary,
//! rules only raising the band, and bit-for-bit determinism.

use super::tests_explain::{features_of, random_features, Rng};
use super::*;
use crate::features::{Features, FEATURE_COUNT, FEATURE_NAMES};

/// The demo model's background (= standardisation) means, with changes.
pub(super) fn at_means(changes: &[(&str, f64)]) -> Features {
    let mut v = [0.0; FEATURE_COUNT];
    let means = demo_artifact().background_means;
    v[..means.len()].copy_from_slice(&means);
    change(v, changes)
}

/// The means with the counts at 0 (no rule fires), with changes.
pub(super) fn with(changes: &[(&str, f64)]) -> Features {
    let mut v = [0.0; FEATURE_COUNT];
    let means = demo_artifact().background_means;
    v[..means.len()].copy_from_slice(&means);
    for i in [1, 8, 11, 12, 13] {
        v[i] = 0.0;
    }
    change(v, changes)
}

fn change(mut v: [f64; FEATURE_COUNT], changes: &[(&str, f64)]) -> Features {
    for (name, value) in changes {
        let i = FEATURE_NAMES
            .iter()
            .position(|n| n == name)
            .expect("a feature");
        v[i] = *value;
    }
    features_of(v)
}

fn fired(changes: &[(&str, f64)]) -> Vec<(String, Band)> {
    RuleSet::seed()
        .evaluate(&with(changes))
        .into_iter()
        .map(|r| (r.id, r.band))
        .collect()
}

#[test]
fn bands_order_serialise_and_split_at_the_thresholds() {
    assert!(Band::Low < Band::Medium && Band::Medium < Band::High);
    assert_eq!(
        serde_json::to_string(&Band::Medium).expect("json"),
        "\"Medium\""
    );
    let t = demo_artifact().bands;
    assert_eq!(Band::of(0.3299, &t), Band::Low);
    assert_eq!(Band::of(0.33, &t), Band::Medium);
    assert_eq!(Band::of(0.6599, &t), Band::Medium);
    assert_eq!(Band::of(0.66, &t), Band::High);
    assert_eq!(Band::of(f64::NAN, &t), Band::High);
}

#[test]
fn scores_at_the_means_and_by_hand() {
    let model = demo_artifact();
    // At the means: log-odds = intercept; tree: util 0.35, dpd 2, cash 0.05 → leaf 9.
    let s = model.score(&at_means(&[]));
    assert_eq!(s.logistic, sigmoid(-2.0));
    assert_eq!(s.tree, 0.28);
    assert_eq!(s.ensemble, 0.6 * sigmoid(-2.0) + 0.4 * 0.28);
    assert_eq!(s.band, Band::Low);
    // Utilisation 0.95 and 45 days past due: z = −2 + 0.55·2 + 0.45·5.375.
    let s = model.score(&at_means(&[("utilisation", 0.95), ("days_past_due", 45.0)]));
    let z: f64 = -2.0 + 0.55 * ((0.95 - 0.35) / 0.30) + 0.45 * ((45.0 - 2.0) / 8.0);
    assert!((s.logistic - 1.0 / (1.0 + (-z).exp())).abs() < 1e-15);
    assert_eq!(s.tree, 0.78);
    assert_eq!(s.band, Band::High);
    // Exactly on a split threshold goes right (x < threshold goes left).
    assert_eq!(
        model
            .score(&with(&[("utilisation", 0.8), ("days_past_due", 0.0)]))
            .tree,
        0.24
    );
    assert!((sigmoid(-800.0) - 0.0).abs() < 1e-300 && sigmoid(800.0) == 1.0);
}

#[test]
fn each_seed_rule_fires_past_its_boundary_only() {
    let band = |id: &str, b: Band| (id.to_owned(), b);
    assert!(fired(&[]).is_empty());
    assert!(fired(&[("utilisation", 0.90)]).is_empty());
    assert_eq!(
        fired(&[("utilisation", 0.9001)]),
        vec![band("utilisation_above_90", Band::High)]
    );
    assert!(fired(&[("cash_withdrawal_share", 0.40)]).is_empty());
    assert_eq!(
        fired(&[("cash_withdrawal_share", 0.41)]),
        vec![band("cash_share_above_40", Band::High)]
    );
    assert!(fired(&[("spend_change_pct", -0.60)]).is_empty());
    assert_eq!(
        fired(&[("spend_change_pct", -0.61)]),
        vec![band("spend_drop_over_60", Band::Medium)]
    );
    assert!(fired(&[("consecutive_min_only", 1.0)]).is_empty());
    assert_eq!(
        fired(&[("consecutive_min_only", 2.0)]),
        vec![band("min_only_2_cycles", Band::Medium)]
    );
    assert_eq!(
        fired(&[("consecutive_min_only", 3.0)]),
        vec![
            band("min_only_2_cycles", Band::Medium),
            band("min_only_3_cycles", Band::High)
        ]
    );
    assert!(fired(&[("merchant_mix_change", -0.29)]).is_empty());
    assert_eq!(
        fired(&[("merchant_mix_change", -0.30)]),
        vec![band("merchant_mix_crash", Band::Medium)]
    );
    assert!(fired(&[("days_past_due", 0.0)]).is_empty());
    assert_eq!(
        fired(&[("days_past_due", 1.0)]),
        vec![band("days_past_due_any", Band::Medium)]
    );
}

#[test]
fn rules_only_raise_the_band() {
    let medium = RuleSet::seed().evaluate(&with(&[("days_past_due", 3.0)]));
    assert_eq!(final_band(Band::Low, &medium), Band::Medium);
    assert_eq!(final_band(Band::High, &medium), Band::High);
    assert_eq!(final_band(Band::Medium, &[]), Band::Medium);
    let a = assess(&demo_artifact(), &with(&[("consecutive_min_only", 3.0)]));
    assert_eq!((a.scores.band, a.band), (Band::Low, Band::High));
}

fn bits(a: &Assessment) -> Vec<u64> {
    let s = a.scores;
    let e = &a.explanation;
    let mut out: Vec<u64> = [
        s.logistic,
        s.tree,
        s.ensemble,
        e.base_value,
        e.logistic_base,
        e.tree_base,
    ]
    .iter()
    .map(|v| v.to_bits())
    .collect();
    for c in &e.contributions {
        out.extend([c.value, c.lr_log_odds, c.lr, c.tree, c.combined].map(f64::to_bits));
    }
    out.extend(a.fired_rules.iter().map(|r| r.value.to_bits()));
    out.extend(a.reasons.iter().map(|r| r.contribution.to_bits()));
    out
}

#[test]
fn assessing_is_bit_for_bit_deterministic_across_a_json_round_trip() {
    let model = demo_artifact();
    let reread =
        ModelArtifact::parse(&serde_json::to_string(&model).expect("json")).expect("parses");
    let mut rng = Rng(42);
    for _ in 0..200 {
        let features = random_features(&mut rng);
        let a = assess(&model, &features);
        let again = assess(&model, &features);
        let other = assess(&reread, &features);
        assert_eq!(bits(&a), bits(&again));
        assert_eq!(bits(&a), bits(&other));
        assert_eq!(a, other);
        let json = serde_json::to_string(&a).expect("json");
        let back: Assessment = serde_json::from_str(&json).expect("parses");
        assert_eq!(bits(&back), bits(&a));
    }
}

#[test]
fn a_verdict_is_the_assessment_without_its_explanation() {
    let model = demo_artifact();
    let mut rng = Rng(7);
    let mut fired = 0;
    for _ in 0..500 {
        let features = random_features(&mut rng);
        let v = verdict(&model, &features);
        let a = assess(&model, &features);
        assert_eq!(v.scores.ensemble.to_bits(), a.scores.ensemble.to_bits());
        assert_eq!(v.scores, a.scores);
        assert_eq!(v.fired_rules, a.fired_rules);
        assert_eq!(v.band, a.band);
        assert_eq!(v.clone().explained(&model, &features), a);
        fired += usize::from(!v.fired_rules.is_empty());
    }
    // The comparison covered rules that fire, not only quiet customers.
    assert!(fired > 0);
}

/// Pinned bits: a change here means decisions would not replay identically.
#[test]
fn demo_scores_are_pinned() {
    let model = demo_artifact();
    let s = model.score(&at_means(&[("utilisation", 0.94), ("days_past_due", 12.0)]));
    let z = -2.0 + 0.55 * ((0.94 - 0.35) / 0.30) + 0.45 * ((12.0 - 2.0) / 8.0);
    assert_eq!(s.tree, 0.55);
    assert!((s.logistic - sigmoid(z)).abs() == 0.0);
    assert_eq!(
        s.logistic.to_bits(),
        0x3fda_5db1_6d35_9db3,
        "{:#x}",
        s.logistic.to_bits()
    );
    // The version pins the canonical JSON too (checked independently with
    // Python's json.dumps(sort_keys=True, separators=(",", ":")) and sha256);
    // update it when the demo model changes.
    assert_eq!(
        model.version(),
        "1a92adcd58ec009d8f079368de29d28b0f2a41344cd25bfee59f3c2640ffdf7a"
    );
}

#[test]
fn a_qualified_rule_fires_only_when_all_its_conditions_hold() {
    let rules = RuleSet::qualified();
    let ids =
        |f: &Features| -> Vec<String> { rules.evaluate(f).into_iter().map(|r| r.id).collect() };
    let util = "utilisation_above_90".to_owned();
    // A transactor: 95 % of the limit, the last statement paid in full.
    let transactor = with(&[("utilisation", 0.95), ("payment_ratio", 1.0)]);
    assert!(!ids(&transactor).contains(&util));
    // The same utilisation with the last statement a third paid.
    let revolver = with(&[("utilisation", 0.95), ("payment_ratio", 0.3)]);
    assert!(ids(&revolver).contains(&util));
    // The seed rule, unqualified, fires for both.
    assert!(RuleSet::seed()
        .evaluate(&transactor)
        .iter()
        .any(|r| r.id == util));
    // A bounced payment in the last 90 days, with its count in the reason.
    let bounced = with(&[("returned_payments_90d", 2.0)]);
    let fired = rules.evaluate(&bounced);
    let returned = fired.iter().find(|r| r.id == "payment_returned");
    assert_eq!(
        returned.map(|r| r.reason.as_str()),
        Some("2 payments to your card came back unpaid in the last 90 days")
    );
    assert!(!ids(&with(&[])).contains(&"payment_returned".to_owned()));
    // Every qualified rule starts at Medium (only evidence sets High), but
    // the delinquent account's.
    assert!(rules
        .rules
        .iter()
        .all(|r| (r.band == Band::High) == (r.id == DELINQUENT_RULE)));
    rules.validate().expect("valid");
}

#[test]
fn rules_without_conditions_keep_the_artifact_version_and_bad_conditions_are_refused() {
    let seed = serde_json::to_string(&RuleSet::seed()).expect("json");
    assert!(
        !seed.contains("\"and\""),
        "no empty condition list is written"
    );
    let mut model = demo_artifact();
    let before = model.version();
    model.rules = RuleSet::qualified();
    assert_ne!(
        model.version(),
        before,
        "conditions are part of the version"
    );
    model.validate().expect("valid");
    model.rules.rules[0].and[0].feature = "no_such_feature".into();
    assert!(model.validate().is_err());
    model.rules.rules[0].and[0].feature = "payment_ratio".into();
    model.rules.rules[0].and[0].threshold = f64::NAN;
    assert!(model.validate().is_err());
}
