//! Corrections folded into features, with hand-computed values: each counts
//! from its own moment on, and a past as_of still sees what was known then.

use super::test_support::*;
use super::*;
use crate::values::TransactionKind;

#[test]
fn a_purchase_reversed_in_full_leaves_no_spend_from_the_reversal_on() {
    let reg = registered(t(0, 0), 100_000);
    let bought = purchase(t(2, 10), 10_000, "5411");
    let other = purchase(t(2, 11), 10_000, "5812");
    let back = reversal(&bought, t(5, 9), 10_000, true);
    let events = [reg, bought, other, back];
    let before = at_end(&events[..3], t(4, 12));
    assert!(close(before.utilisation, 0.2));
    assert!(before.merchant_mix_index > 0.0, "two purchases, two groups");
    let after = at_end(&events, t(6, 12));
    assert!(close(after.utilisation, 0.1));
    // One purchase is left: fewer than two, so no mix.
    assert_eq!(after.merchant_mix_index, 0.0);
    // As of before the reversal, the full state still sees both purchases.
    let mut state = FeatureState::default();
    events.iter().for_each(|e| state.apply(e));
    assert_eq!(state.features(t(4, 12)), before);
}

#[test]
fn a_partial_cash_reversal_lowers_the_cash_share() {
    let reg = registered(t(0, 0), 100_000);
    let cash = txn(t(2, 10), TransactionKind::CashWithdrawal, 10_000, None);
    let bought = purchase(t(2, 11), 10_000, "5411");
    let back = reversal(&cash, t(3, 9), 5_000, false);
    let f = at_end(&[reg, cash, bought, back], t(4, 0));
    assert!(close(f.cash_withdrawal_share, 5_000.0 / 15_000.0));
    assert!(close(f.utilisation, 0.15));
}

#[test]
fn a_returned_payment_stops_paying_its_statement_from_its_return_on() {
    let reg = registered(t(0, 0), 100_000);
    let spend = purchase(t(2, 10), 40_000, "5411");
    let stmt = statement(t(31, 1), 40_000, 2_000, t(51, 0).date_naive());
    let pay = payment(t(45, 9), 40_000);
    let bounced = returned(&pay, t(55, 6));
    let events = [reg, spend, stmt, pay, bounced];
    let paid = at_end(&events[..4], t(54, 0));
    assert_eq!(paid.payment_ratio, 1.0);
    assert_eq!(paid.returned_payments_90d, 0.0);
    let back = at_end(&events, t(56, 0));
    assert_eq!(back.payment_ratio, 0.0);
    assert_eq!(
        back.consecutive_min_only, 1.0,
        "nothing paid is at most the minimum"
    );
    assert_eq!(back.returned_payments_90d, 1.0);
    assert!(close(back.utilisation, 0.4));
    // The full state answers as of before the return as it was then.
    let mut state = FeatureState::default();
    events.iter().for_each(|e| state.apply(e));
    assert_eq!(state.features(t(54, 0)), paid);
    // Counted for 90 days.
    assert_eq!(state.features(t(55 + 89, 12)).returned_payments_90d, 1.0);
    assert_eq!(state.features(t(55 + 90, 12)).returned_payments_90d, 0.0);
}

#[test]
fn a_corrected_statement_is_read_with_its_corrected_figures() {
    let reg = registered(t(0, 0), 100_000);
    let spend = purchase(t(2, 10), 40_000, "5411");
    let stmt = statement(t(31, 1), 40_000, 2_000, t(51, 0).date_naive());
    // Paid after the issued due date, before the corrected one.
    let pay = payment(t(52, 9), 2_100);
    let fixed = corrected(&stmt, t(33, 8), 40_000, 1_000, t(55, 0).date_naive());
    let as_issued = at_end(
        &[reg.clone(), spend.clone(), stmt.clone(), pay.clone()],
        t(60, 0),
    );
    // Issued: due by day 51, nothing paid in its cycle.
    assert_eq!(as_issued.payment_ratio, 0.0);
    assert_eq!(as_issued.consecutive_min_only, 1.0);
    let as_corrected = at_end(&[reg, spend, stmt, fixed, pay], t(60, 0));
    // Corrected: due by day 55, 2,100 paid, more than 1.1 × 1,000.
    assert!(close(as_corrected.payment_ratio, 2_100.0 / 40_000.0));
    assert_eq!(as_corrected.consecutive_min_only, 0.0);
}
