//! Reason tests: rule texts, template placeholders, the order and selection
//! of reason codes, and no false reasons for a low-risk customer.

use super::tests_assess::with;
use super::text::render;
use super::*;

#[test]
fn rule_reasons_read_plainly() {
    let text = |changes: &[(&str, f64)]| -> Vec<String> {
        RuleSet::seed()
            .evaluate(&with(changes))
            .into_iter()
            .map(|r| r.reason)
            .collect()
    };
    assert_eq!(
        text(&[("utilisation", 0.94)]),
        ["You have used 94% of your credit limit"]
    );
    assert_eq!(
        text(&[("cash_withdrawal_share", 0.45)]),
        ["Cash withdrawals were 45% of your card spending in the last 30 days"]
    );
    assert_eq!(
        text(&[("spend_change_pct", -0.65)]),
        ["Your card spending changed by \u{2212}65% compared with previous months"]
    );
    assert_eq!(
        text(&[("consecutive_min_only", 2.0)]),
        ["You paid only the minimum due in the last 2 statements"]
    );
    assert_eq!(
        text(&[("days_past_due", 12.0)]),
        ["Your account is 12 days past due"]
    );
    assert_eq!(
        text(&[("days_past_due", 1.0)]),
        ["Your account is 1 day past due"]
    );
    assert_eq!(
        text(&[("merchant_mix_change", -0.4)]),
        ["Your spending has narrowed to fewer kinds of shops"]
    );
}

#[test]
fn templates_fill_placeholders_and_keep_unknown_ones() {
    assert_eq!(
        render("{value} {threshold} {threshold_percent}", 0.125, 0.9),
        "0.13 0.9 90%"
    );
    assert_eq!(
        render("{signed_percent} {signed_percent}", 0.2, 0.0),
        "+20% +20%"
    );
    assert_eq!(
        render("{signed_percent}|{percent}|{value}", -0.001, 0.0),
        "0%|0%|0"
    );
    assert_eq!(
        render("{count} day{s} {other} {", 1.0, 0.0),
        "1 day {other} {"
    );
}

#[test]
fn reasons_put_rules_first_once_per_feature_then_top_model_features() {
    let model = demo_artifact();
    let a = assess(
        &model,
        &with(&[
            ("utilisation", 0.94),
            ("consecutive_min_only", 3.0),
            ("days_past_due", 12.0),
            ("payment_ratio", 0.1),
            ("late_months_6m", 2.0),
            ("max_days_past_due_6m", 40.0),
        ]),
    );
    let codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        &codes[..3],
        [
            "rule:utilisation_above_90",
            "rule:min_only_3_cycles",
            "rule:days_past_due_any"
        ]
    );
    assert_eq!(codes.len(), 6, "{codes:?}");
    let model_part = &a.reasons[3..];
    assert!(model_part
        .iter()
        .all(|r| r.code.starts_with("model:") && r.contribution > 0.0));
    assert!(model_part
        .windows(2)
        .all(|w| w[0].contribution >= w[1].contribution));
    assert!(a
        .reasons
        .iter()
        .all(|r| !r.help.is_empty() && !r.text.contains('{')));
    let texts: Vec<&str> = a.reasons.iter().map(|r| r.text.as_str()).collect();
    assert!(
        texts.contains(&"Your last payment covered 10% of your statement balance"),
        "{texts:?}"
    );
    assert_eq!(
        a.reasons[0].help,
        "Paying down part of the balance lowers your utilisation"
    );
}

#[test]
fn a_low_risk_customer_gets_no_false_reasons() {
    let a = assess(
        &demo_artifact(),
        &with(&[
            ("utilisation", 0.05),
            ("days_past_due", 0.0),
            ("max_days_past_due_6m", 0.0),
            ("late_months_6m", 0.0),
            ("consecutive_min_only", 0.0),
            ("payment_ratio", 1.0),
        ]),
    );
    assert_eq!(a.band, Band::Low);
    assert!(a.fired_rules.is_empty());
    for r in &a.reasons {
        assert!(
            r.contribution > 0.0 && !r.text.contains(" 0 ") && !r.text.contains(" 0%"),
            "{r:?}"
        );
    }
}

#[test]
fn a_feature_at_zero_for_want_of_data_is_no_reason_and_nothing_that_lowers_risk_is() {
    let contribution = |feature: &str, value: f64, combined: f64| Contribution {
        feature: feature.into(),
        value,
        lr_log_odds: 0.0,
        lr: combined,
        tree: 0.0,
        boosted_log_odds: None,
        boosted: None,
        combined,
    };
    let explanation = Explanation {
        base_value: 0.0,
        logistic_base: 0.0,
        tree_base: 0.0,
        boosted_base: None,
        method: "test".into(),
        contributions: vec![
            // Fewer than two purchases, no earlier mix, one statement: no data.
            contribution("merchant_mix_index", 0.0, 0.09),
            contribution("merchant_mix_change", 0.0, 0.08),
            contribution("payment_stability", 0.0, 0.07),
            contribution("spend_volatility", 0.0, 0.06),
            // Measured and adverse, but lowering the score: not a reason.
            contribution("utilisation", 0.95, -0.05),
            // Raising the score most, but the limit the bank set is not the
            // customer's behaviour: never a reason.
            contribution("credit_limit", 500.0, 0.2),
            // Measured and raising the score: a reason.
            contribution("cash_withdrawal_share", 0.45, 0.01),
        ],
    };
    let reasons = reason_codes(&explanation, &[], 3);
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["model:cash_withdrawal_share"]);
    // The same features with data behind them are reasons.
    let measured = Explanation {
        contributions: vec![
            contribution("merchant_mix_index", 0.2, 0.09),
            contribution("merchant_mix_change", -0.4, 0.08),
            contribution("payment_stability", 0.8, 0.07),
        ],
        ..explanation
    };
    assert_eq!(reason_codes(&measured, &[], 3).len(), 3);
}
