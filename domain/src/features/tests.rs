//! Hand-computed tests of the balance and spend features on small histories,
//! and the edge cases (no history, zero limit, credit balance, refunds above
//! purchases, a first month, events after as_of).

use super::test_support::*;
use super::*;
use crate::values::TransactionKind;

#[test]
fn names_follow_the_field_order() {
    let f = at_end(&[], t(0, 0));
    let mut values = f.to_vec();
    for (i, v) in values.iter_mut().enumerate() {
        *v = i as f64;
    }
    let f: Features = serde_json::from_value(serde_json::Value::Object(
        FEATURE_NAMES
            .iter()
            .zip(values)
            .map(|(n, v)| ((*n).to_owned(), serde_json::json!(v)))
            .collect(),
    ))
    .expect("every name is a field");
    assert_eq!(f.to_vec(), values);
    assert_eq!(Features::from_array(values), f);
}

#[test]
fn no_history_gives_zeros_but_a_full_payment_ratio() {
    let f = at_end(&[], t(10, 0));
    for (name, v) in FEATURE_NAMES.iter().zip(f.to_vec()) {
        let expected = if *name == "payment_ratio" { 1.0 } else { 0.0 };
        assert_eq!(v, expected, "{name}");
    }
}

#[test]
fn utilisation_nets_every_kind_of_movement() {
    let h = [
        registered(t(0, 0), 100_000),
        purchase(t(1, 9), 30_000, "5411"),
        txn(t(1, 10), TransactionKind::CashWithdrawal, 10_000, None),
        txn(t(1, 11), TransactionKind::Fee, 500, None),
        txn(t(2, 9), TransactionKind::Refund, 2_000, Some("5411")),
        payment(t(3, 9), 8_500),
    ];
    assert_eq!(at_end(&h, t(4, 0)).utilisation, 0.3);
    assert_eq!(at_end(&h, t(1, 12)).utilisation, 0.405);
}

#[test]
fn utilisation_edge_cases() {
    let zero_limit = [registered(t(0, 0), 0), purchase(t(1, 9), 100, "5411")];
    let f = at_end(&zero_limit, t(2, 0));
    assert_eq!((f.utilisation, f.over_limit_count), (1.5, 1.0));
    assert_eq!(at_end(&zero_limit[..1], t(2, 0)).utilisation, 0.0);

    let credit = [
        registered(t(0, 0), 1_000),
        purchase(t(1, 9), 1_000, "5411"),
        payment(t(2, 9), 3_000),
    ];
    assert_eq!(at_end(&credit, t(3, 0)).utilisation, 0.0);

    let over = [registered(t(0, 0), 1_000), purchase(t(1, 9), 2_000, "5411")];
    assert_eq!(at_end(&over, t(2, 0)).utilisation, 1.5);
    let mut raised = over.to_vec();
    raised.push(limit_changed(t(5, 0), 1_000, 4_000));
    assert_eq!(at_end(&raised, t(2, 0)).utilisation, 1.5);
    assert_eq!(at_end(&raised, t(6, 0)).utilisation, 0.5);
}

#[test]
fn refunds_exceeding_purchases_floor_spend_at_zero() {
    let h = [
        registered(t(0, 0), 10_000),
        purchase(t(100, 9), 900, "5411"),
        purchase(t(190, 9), 100, "5411"),
        txn(t(191, 9), TransactionKind::Refund, 1_500, Some("5411")),
    ];
    let f = at_end(&h, t(200, 12));
    assert_eq!(f.utilisation, 0.0, "balance is -ve: in credit");
    assert_eq!(f.spend_change_pct, -1.0, "recent spend floors at 0");
    assert_eq!(f.cash_withdrawal_share, 0.0);
}

#[test]
fn over_limit_days_are_counted_once_and_age_out() {
    let h = [
        registered(t(0, 0), 1_000),
        purchase(t(1, 9), 900, "5411"),
        purchase(t(2, 15), 200, "5411"),               // 1100 > 1000
        purchase(t(2, 16), 50, "5411"),                // closes day 2 at 1150: over
        payment(t(3, 9), 500),                         // 650
        purchase(t(4, 9), 100, "5411"),                // 750
        txn(t(5, 9), TransactionKind::Fee, 400, None), // 1150: day 5
        txn(t(5, 10), TransactionKind::Refund, 10, Some("5411")), // closes day 5 at 1140
    ];
    assert_eq!(at_end(&h, t(6, 0)).over_limit_count, 2.0);
    let mut state = FeatureState::default();
    h.iter().for_each(|e| state.apply(e));
    assert_eq!(
        state.features(t(2, 12)).over_limit_count,
        0.0,
        "day 2 has not ended"
    );
    assert_eq!(state.features(t(366, 0)).over_limit_count, 2.0);
    assert_eq!(
        state.features(t(367, 0)).over_limit_count,
        1.0,
        "day 2 left"
    );
}

#[test]
fn cash_share_reads_the_last_30_days() {
    let h = [
        registered(t(0, 0), 100_000),
        txn(t(10, 23), TransactionKind::CashWithdrawal, 1_000, None), // outside
        txn(t(11, 0), TransactionKind::CashWithdrawal, 100, None),
        purchase(t(40, 10), 300, "5411"),
    ];
    assert_eq!(at_end(&h, t(40, 12)).cash_withdrawal_share, 0.25);
    assert_eq!(at_end(&h, t(41, 12)).cash_withdrawal_share, 0.0);
}

#[test]
fn spend_change_against_the_prior_90_days() {
    let base = [
        registered(t(0, 0), 100_000),
        purchase(t(100, 9), 900, "5411"),
    ];
    let with = |amount: i64| {
        let mut h = base.to_vec();
        h.push(purchase(t(180, 9), amount, "5812"));
        at_end(&h, t(200, 12)).spend_change_pct
    };
    assert_eq!(with(450), 0.5); // (450 - 300) / 300
    assert_eq!(with(3_000), 5.0); // 9 clamped
    assert_eq!(at_end(&base, t(200, 12)).spend_change_pct, -1.0);
    // First month: no baseline spend.
    let first = [registered(t(0, 0), 1_000), purchase(t(3, 9), 500, "5411")];
    assert_eq!(at_end(&first, t(10, 0)).spend_change_pct, 0.0);
}

#[test]
fn merchant_mix_index_and_change() {
    let ln10 = 10f64.ln();
    let one = [
        registered(t(0, 0), 100_000),
        purchase(t(100, 9), 500, "5411"),
    ];
    assert_eq!(at_end(&one, t(101, 0)).merchant_mix_index, 0.0);

    let mut h = one.to_vec();
    h.push(purchase(t(100, 10), 500, "5541"));
    let f = at_end(&h, t(101, 0));
    assert!(close(f.merchant_mix_index, 2f64.ln() / ln10), "{f:?}");
    assert_eq!(f.merchant_mix_change, 0.0, "no baseline purchases");

    // Recent: four groups evenly; baseline (days 11..=100): two groups.
    for (hour, mcc) in [(9, "5411"), (10, "5812"), (11, "4900"), (12, "5734")] {
        h.push(purchase(t(125, hour), 250, mcc));
    }
    let f = at_end(&h, t(130, 0));
    assert!(close(f.merchant_mix_index, 4f64.ln() / ln10), "{f:?}");
    assert!(close(f.merchant_mix_change, 2f64.ln() / ln10), "{f:?}");

    let same = [
        registered(t(0, 0), 100_000),
        purchase(t(1, 9), 100, "5411"),
        purchase(t(2, 9), 700, "5499"),
    ];
    assert_eq!(at_end(&same, t(3, 0)).merchant_mix_index, 0.0);
}

#[test]
fn spend_volatility_over_six_30_day_windows() {
    // as_of day 200: windows end on days 200, 170, 140, 110, 80, 50.
    let h = |opened: u64| {
        [
            registered(t(opened, 0), 100_000),
            purchase(t(171, 9), 100, "5411"),
            purchase(t(170, 9), 300, "5411"),
        ]
    };
    let sqrt11_over_2 = 11f64.sqrt() / 2.0; // spends 1, 3, 0, 0, 0, 0 (x100)
    assert!(close(
        at_end(&h(0), t(200, 12)).spend_volatility,
        sqrt11_over_2
    ));
    assert_eq!(
        at_end(&h(141), t(200, 12)).spend_volatility,
        0.5,
        "100, 300"
    );
    assert_eq!(
        at_end(&h(142), t(200, 12)).spend_volatility,
        0.0,
        "one window"
    );
    assert_eq!(
        at_end(&h(0)[..1], t(200, 12)).spend_volatility,
        0.0,
        "no spend"
    );
}

#[test]
fn a_first_month_has_no_baseline() {
    let h = [
        registered(t(0, 0), 10_000),
        purchase(t(1, 9), 2_000, "5411"),
        purchase(t(2, 9), 2_000, "5812"),
        txn(t(3, 9), TransactionKind::CashWithdrawal, 1_000, None),
    ];
    let f = at_end(&h, t(20, 0));
    assert_eq!(f.spend_change_pct, 0.0);
    assert_eq!(f.merchant_mix_change, 0.0);
    assert_eq!(f.spend_volatility, 0.0);
    assert_eq!(f.payment_ratio, 1.0);
    assert_eq!(f.utilisation, 0.5);
    assert_eq!(f.cash_withdrawal_share, 0.2);
    assert!(close(f.merchant_mix_index, 2f64.ln() / 10f64.ln()));
}

#[test]
fn utilisation_trend_compares_the_last_30_days_with_the_90_before() {
    // 20 % used from day 0; a purchase on day 100 takes it to 50 %.
    let h = [
        registered(t(0, 0), 100_000),
        purchase(t(0, 9), 20_000, "5411"),
        purchase(t(100, 9), 30_000, "5411"),
    ];
    // Days 90–119: ten at 20 %, twenty at 50 % (mean 40 %); days 0–89: 20 %.
    assert!(close(at_end(&h, t(119, 12)).utilisation_trend, 0.2));
    // Steady: no trend, however high the level.
    assert!(close(at_end(&h[..2], t(119, 12)).utilisation_trend, 0.0));
    // Fewer than 30 earlier days: nothing to compare with.
    assert_eq!(at_end(&h, t(58, 12)).utilisation_trend, 0.0);
    assert!(close(at_end(&h[..2], t(59, 12)).utilisation_trend, 0.0));
    // A lower limit raises it with the same balance: 40 % from day 100.
    let lowered = [
        registered(t(0, 0), 100_000),
        purchase(t(0, 9), 20_000, "5411"),
        limit_changed(t(100, 0), 100_000, 50_000),
    ];
    assert!(close(
        at_end(&lowered, t(119, 12)).utilisation_trend,
        (10.0 * 0.2 + 20.0 * 0.4) / 30.0 - 0.2
    ));
    // Paid off: a negative trend (the balance fell).
    let paid = [
        registered(t(0, 0), 100_000),
        purchase(t(0, 9), 20_000, "5411"),
        payment(t(100, 9), 20_000),
    ];
    assert!(close(
        at_end(&paid, t(119, 12)).utilisation_trend,
        (10.0 * 0.2) / 30.0 - 0.2
    ));
}
