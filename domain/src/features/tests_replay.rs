//! Property tests over a long generated history (a fixed-seed generator, no
//! `rand`): folding incrementally and asking as of any moment gives exactly
//! the reference `features_from_history`, the state stays bounded, and it
//! survives a JSON snapshot round trip.

use chrono::{DateTime, Datelike, Days, Duration, Utc};

use super::test_support::*;
use super::*;
use crate::customer::CustomerEvent;
use crate::values::TransactionKind;

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

const MCCS: [&str; 12] = [
    "5411", "5812", "5541", "4511", "4900", "5912", "5311", "5816", "6011", "7995", "5499", "5814",
];

/// About 15 months of a customer who drifts into stress: spends daily, gets
/// monthly statements, pays fully, minimally, partly or not at all (sometimes
/// late, sometimes with a payment that bounces), is reported past due, has
/// the limit cut once, some transactions reversed and some statements
/// corrected.
pub(super) fn generated_history(seed: u64) -> Vec<CustomerEvent> {
    let mut rng = Lcg(seed);
    let limit = 60_000_00;
    let mut events = vec![registered(t(0, 0), limit)];
    let mut balance: i64 = 0;
    let mut pending: Vec<CustomerEvent> = Vec::new();
    for day in 1..460_u64 {
        let midnight = t(day, 0);
        // Payments and reports scheduled earlier for this day, in time order.
        let (today, later): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|e| e.occurred_at() < midnight + Duration::days(1));
        pending = later;
        if midnight.day() == 1 {
            let closing = balance;
            let minimum = (closing / 20).max(0);
            let due = (midnight + Duration::days(20)).date_naive();
            let issued = statement(t(day, 2), closing, minimum, due);
            // Every fifth statement is corrected the next day (its minimum
            // and due date move).
            if rng.below(5) == 0 {
                let due = due + Days::new(rng.below(6));
                pending.push(corrected(&issued, t(day + 1, 4), closing, minimum / 2, due));
            }
            events.push(issued);
            let stressed = day > 300;
            let paid = match rng.below(if stressed { 6 } else { 4 }) {
                0 | 1 => closing.max(0),
                2 => minimum,
                3 => closing.max(0) * 3 / 10,
                _ => 0,
            };
            let pay_day = day + 3 + rng.below(if stressed { 26 } else { 18 });
            if paid > 0 {
                let p = payment(t(pay_day, 20), paid);
                // Payments sometimes bounce two days on, more often under stress.
                if rng.below(if stressed { 2 } else { 8 }) == 0 {
                    pending.push(returned(&p, t(pay_day + 2, 6)));
                }
                pending.push(p);
            }
            // Reported at 01:00 three days after the due date: 3 days past
            // due unless the minimum was paid by then.
            let current = paid >= minimum && (paid == 0 || pay_day < day + 23);
            pending.push(dpd(t(day + 23, 1), if current { 0 } else { 3 }));
        }
        if day == 330 {
            events.push(limit_changed(t(day, 3), limit, 30_000_00));
        }
        let mut hour = 7;
        for _ in 0..rng.below(4) {
            hour += 1 + rng.below(3) as u32;
            let mcc = MCCS[rng.below(12) as usize];
            let amount = 100 + rng.below(if day > 300 { 900_000 } else { 300_000 }) as i64;
            let (kind, mcc) = match rng.below(30) {
                0 | 1 => (TransactionKind::CashWithdrawal, None),
                2 => (TransactionKind::Refund, Some(mcc)),
                3 => (TransactionKind::Fee, None),
                _ => (TransactionKind::Purchase, Some(mcc)),
            };
            balance += if kind.is_debit() { amount } else { -amount };
            let recorded = txn(t(day, hour), kind, amount, mcc);
            // One in fifteen is reversed within a week, in full or in half.
            if rng.below(15) == 0 {
                let in_full = rng.below(2) == 0;
                let part = if in_full { amount } else { amount / 2 };
                let at = t(day + 1 + rng.below(6), 5);
                pending.push(reversal(&recorded, at, part, in_full));
            }
            events.push(recorded);
        }
        for e in today {
            match &e {
                CustomerEvent::PaymentRecorded(p) => balance -= p.amount_minor,
                CustomerEvent::PaymentReturned(p) => balance += p.amount_minor,
                CustomerEvent::TransactionReversed(r) if r.kind.is_debit() => {
                    balance -= r.amount_minor
                }
                CustomerEvent::TransactionReversed(r) => balance += r.amount_minor,
                _ => {}
            }
            events.push(e);
        }
    }
    events.sort_by_key(CustomerEvent::occurred_at);
    events
}

#[test]
fn incremental_folding_equals_the_reference_at_every_step() {
    let history = generated_history(7);
    assert!(history.len() > 600, "{}", history.len());
    let mut state = FeatureState::default();
    let mut seen = [false; FEATURE_COUNT];
    for (i, event) in history.iter().enumerate() {
        state.apply(event);
        // A moment after this event and before the next one.
        let next = history.get(i + 1).map(CustomerEvent::occurred_at);
        let as_of = match next {
            Some(n) if n > event.occurred_at() => {
                event.occurred_at() + (n - event.occurred_at()) / 2
            }
            Some(_) => continue,
            None => event.occurred_at() + Duration::days(3),
        };
        let incremental = state.features(as_of);
        assert_eq!(
            incremental,
            features_from_history(&history, as_of),
            "event {i}"
        );
        assert_finite(&incremental);
        for (s, v) in seen.iter_mut().zip(incremental.to_vec()) {
            *s |= v != 0.0;
        }
    }
    // The generator exercises every feature (a regression guard on the test).
    for (name, s) in FEATURE_NAMES.iter().zip(seen) {
        assert!(s, "{name} was always 0");
    }
}

#[test]
fn the_full_state_answers_for_recent_end_of_days() {
    let history = generated_history(11);
    let mut state = FeatureState::default();
    history.iter().for_each(|e| state.apply(e));
    let last = state.latest_event_at().expect("events folded");
    for back in 0..20 {
        let as_of = end_of_day(last - Duration::days(back));
        assert_eq!(
            state.features(as_of),
            features_from_history(&history, as_of),
            "{as_of}"
        );
    }
}

fn end_of_day(at: DateTime<Utc>) -> DateTime<Utc> {
    let next = at
        .date_naive()
        .checked_add_days(Days::new(1))
        .expect("in range");
    next.and_hms_opt(0, 0, 0).expect("valid").and_utc() - Duration::seconds(1)
}

#[test]
fn the_state_stays_bounded_and_round_trips_through_json() {
    let history = generated_history(3);
    let mut state = FeatureState::default();
    history.iter().for_each(|e| state.apply(e));
    assert!(state.days.len() <= RETENTION_DAYS as usize);
    assert!(state.dpd.len() <= RETENTION_DAYS as usize);
    assert!(state.over_limit.len() <= 385);
    assert_eq!(state.statements.len(), STATEMENTS_KEPT);
    assert!(state.limits.len() <= 2);

    let json = serde_json::to_string(&state).expect("serialises");
    let back: FeatureState = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, state);
    let as_of = state.latest_event_at().expect("events") + Duration::hours(1);
    let f = back.features(as_of);
    assert_eq!(f, state.features(as_of));
    let f_json = serde_json::to_string(&f).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Features>(&f_json).expect("parses"),
        f
    );
}
