//! Arrival order does not change the features: a generated history
//! delivered with each fact up to 30 days late (as card networks deliver
//! some), in an order drawn by proptest, folds to the same state — and so
//! the same features at every moment asked — as the history in business
//! time order.

use chrono::Duration;
use proptest::prelude::*;

use super::tests_replay::generated_history;
use super::*;
use crate::customer::CustomerEvent;

/// The key of the fact a correction corrects, or of the fact itself.
fn fact_key(e: &CustomerEvent) -> Option<String> {
    match e {
        CustomerEvent::TransactionRecorded(t) => Some(format!("t:{}", t.transaction_id)),
        CustomerEvent::TransactionReversed(r) => Some(format!("t:{}", r.transaction_id)),
        CustomerEvent::PaymentRecorded(p) => Some(format!("p:{}", p.payment_id)),
        CustomerEvent::PaymentReturned(r) => Some(format!("p:{}", r.payment_id)),
        CustomerEvent::StatementIssued(s) => Some(format!("s:{}", s.period)),
        CustomerEvent::StatementCorrected(c) => Some(format!("s:{}", c.period)),
        _ => None,
    }
}

/// `history` as it arrives: each fact (the registration excepted) `delay`
/// seconds late, drawn per fact from `delays` (cycled), sorted by arrival.
/// A correction never arrives before what it corrects (the aggregate
/// refuses it), so it arrives at the latest of its own time and the
/// corrected fact's arrival.
fn arrival_order(history: &[CustomerEvent], delays: &[u32]) -> Vec<CustomerEvent> {
    let mut arrived_at = std::collections::HashMap::new();
    let mut arriving: Vec<(chrono::DateTime<chrono::Utc>, usize, &CustomerEvent)> = history
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let late = match e {
                CustomerEvent::CustomerRegistered(_) => 0,
                _ => i64::from(delays[i % delays.len()]),
            };
            let mut at = e.occurred_at() + Duration::seconds(late);
            if let Some(key) = fact_key(e) {
                let corrected = arrived_at.entry(key).or_insert(at);
                at = at.max(*corrected);
                *corrected = at;
            }
            (at, i, e)
        })
        .collect();
    arriving.sort_by_key(|(at, i, _)| (*at, *i));
    arriving.into_iter().map(|(_, _, e)| e.clone()).collect()
}

fn folded(events: &[CustomerEvent]) -> FeatureState {
    let mut state = FeatureState::default();
    events.iter().for_each(|e| state.apply(e));
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_same_facts_in_any_arrival_order_give_the_same_features(
        seed in 1_u64..1_000,
        // Up to 30 days late; most facts on time or nearly.
        delays in proptest::collection::vec(
            prop_oneof![4 => Just(0_u32), 3 => 0_u32..86_400, 2 => 0_u32..30 * 86_400],
            1..64,
        ),
    ) {
        let history = generated_history(seed);
        let arrived = arrival_order(&history, &delays);
        prop_assume!(arrived != history);
        let in_time = folded(&history);
        let as_arrived = folded(&arrived);
        prop_assert_eq!(&as_arrived, &in_time);
        let last = in_time.latest_event_at().expect("events");
        for later in [0, 1, 3, 40] {
            let as_of = last + Duration::days(later);
            prop_assert_eq!(as_arrived.features(as_of), in_time.features(as_of));
        }
    }
}

#[test]
fn a_payment_and_a_late_report_folded_before_their_statement_still_count() {
    use super::test_support::*;
    let reg = registered(t(0, 0), 100_000);
    let spend = purchase(t(2, 10), 50_000, "5411");
    let stmt = statement(t(31, 1), 50_000, 2_500, t(51, 0).date_naive());
    let paid = payment(t(40, 9), 2_500);
    let late = dpd(t(60, 1), 9);
    let in_order = [
        reg.clone(),
        spend.clone(),
        stmt.clone(),
        paid.clone(),
        late.clone(),
    ];
    let statement_last = [reg, spend, paid, late, stmt];
    let a = folded(&in_order);
    let b = folded(&statement_last);
    assert_eq!(a, b);
    assert_eq!(a.statements[0].paid, 2_500);
    assert_eq!(a.statements[0].late_at, Some(t(60, 1)));
}

#[test]
fn a_day_counts_over_the_limit_by_its_closing_balance_whatever_the_order() {
    use super::test_support::*;
    let reg = registered(t(0, 0), 10_000);
    // Over the limit at 10:00, back under it by the payment at 18:00.
    let spend = purchase(t(5, 10), 12_000, "5411");
    let repaid = payment(t(5, 18), 5_000);
    let a = folded(&[reg.clone(), spend.clone(), repaid.clone()]);
    let b = folded(&[reg.clone(), repaid.clone(), spend.clone()]);
    assert_eq!(a, b);
    assert!(a.over_limit.is_empty(), "the day closed under the limit");
    // A purchase that arrives a week late puts that day over the limit.
    let late = purchase(t(5, 20), 4_000, "5411");
    let next = purchase(t(6, 9), 100, "5411");
    let c = folded(&[
        reg.clone(),
        spend.clone(),
        repaid.clone(),
        next.clone(),
        late.clone(),
    ]);
    let d = folded(&[reg, spend, repaid, late, next]);
    assert_eq!(c, d);
    assert_eq!(c.over_limit, vec![t(6, 0), t(7, 0)]);
    assert_eq!(c.features(t(6, 12)).over_limit_count, 1.0);
    assert_eq!(c.features(t(7, 0)).over_limit_count, 2.0);
}
