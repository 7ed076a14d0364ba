//! Hand-computed tests of the statement, payment and days-past-due features.

use chrono::{DateTime, NaiveDate, Utc};

use super::test_support::*;
use super::*;
use crate::customer::CustomerEvent;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    date(y, m, d).and_hms_opt(h, 0, 0).expect("valid").and_utc()
}

#[test]
fn payment_ratio_counts_payments_from_issue_to_the_end_of_the_due_date() {
    let h = [
        registered(utc(2026, 1, 1, 0), 100_000),
        payment(utc(2026, 1, 31, 9), 1_000), // before issue
        statement(utc(2026, 2, 1, 2), 10_000, 500, date(2026, 2, 21)),
        payment(utc(2026, 2, 10, 9), 3_000),
        payment(utc(2026, 2, 21, 23), 1_000), // on the due date
        payment(utc(2026, 2, 22, 0), 5_000),  // late
    ];
    assert_eq!(
        at_end(&h, utc(2026, 2, 21, 12)).payment_ratio,
        1.0,
        "not due"
    );
    assert_eq!(at_end(&h, utc(2026, 2, 22, 1)).payment_ratio, 0.4);

    let credit = [statement(utc(2026, 2, 1, 2), -50, 0, date(2026, 2, 21))];
    assert_eq!(at_end(&credit, utc(2026, 3, 1, 0)).payment_ratio, 1.0);
    let overpaid = [
        statement(utc(2026, 2, 1, 2), 100, 5, date(2026, 2, 21)),
        payment(utc(2026, 2, 2, 2), 900),
    ];
    assert_eq!(at_end(&overpaid, utc(2026, 3, 1, 0)).payment_ratio, 1.0);
}

/// Statements for 2026-01..=2026-08 (issued on the 1st of the next month, due
/// on the 21st), each paid on the 11th and optionally reported past due on
/// the 23rd: `(closing, minimum, paid, days past due on the 23rd)`.
fn repayment_history() -> Vec<CustomerEvent> {
    let cycles: [(i64, i64, i64, Option<u32>); 8] = [
        (10_000, 500, 10_000, None), // s1 ratio 1
        (10_000, 500, 500, None),    // s2 minimum only
        (10_000, 500, 550, None),    // s3 exactly 1.1 x minimum
        (0, 0, 0, None),             // s4 nothing owed
        (10_000, 500, 0, Some(5)),   // s5 missed, late
        (10_000, 500, 551, None),    // s6 just above 1.1 x
        (10_000, 500, 500, Some(0)), // s7 minimum, reported current
        (10_000, 500, 0, Some(3)),   // s8 missed, late
    ];
    let mut h = vec![registered(utc(2026, 1, 1, 0), 100_000)];
    for (i, (closing, minimum, paid, late)) in cycles.into_iter().enumerate() {
        let month = i as u32 + 2;
        h.push(statement(
            utc(2026, month, 1, 2),
            closing,
            minimum,
            date(2026, month, 21),
        ));
        if month == 8 {
            // After s7 was issued, before it was due: belongs to no statement.
            h.push(dpd(utc(2026, 8, 6, 0), 10));
        }
        if paid > 0 {
            h.push(payment(utc(2026, month, 11, 9), paid));
        }
        if let Some(days) = late {
            h.push(dpd(utc(2026, month, 23, 0), days));
        }
    }
    h
}

#[test]
fn repayment_features_over_the_last_six_due_statements() {
    let h = repayment_history();
    let f = at_end(&h, utc(2026, 9, 25, 0));
    assert_eq!(f.payment_ratio, 0.0, "s8 unpaid");
    assert_eq!(f.min_due_frequency, 0.8, "s8 s7 s5 s3 of s8 s7 s6 s5 s3");
    assert_eq!(f.consecutive_min_only, 2.0, "s8 s7, then s6");
    assert_eq!(f.late_months_6m, 2.0, "s8 and s5");
    assert_eq!(f.days_past_due, 3.0);
    assert_eq!(f.max_days_past_due_6m, 10.0);
    let ratios = [0.0, 0.05, 0.0551, 0.0, 1.0, 0.055];
    let mean = ratios.iter().sum::<f64>() / 6.0;
    let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 6.0;
    assert!(close(f.payment_stability, var.sqrt() / mean), "{f:?}");
    assert!(
        (f.payment_stability - 1.869_859_750_745_428).abs() < 1e-12,
        "{f:?}"
    );
}

#[test]
fn payment_ratio_change_sets_the_last_two_due_statements_against_up_to_four_before() {
    let h = repayment_history();
    // Due by 2026-09-25: s8 0, s7 0.05 | s6 0.0551, s5 0, s4 1 (nothing
    // owed), s3 0.055; s2 and s1 are older than the last six.
    let f = at_end(&h, utc(2026, 9, 25, 0));
    let expected = (0.0 + 0.05) / 2.0 - (0.0551 + 0.0 + 1.0 + 0.055) / 4.0;
    assert!(close(f.payment_ratio_change, expected), "{f:?}");
    // Three due (s1 1, s2 0.05, s3 0.055): one earlier statement to compare.
    let f = at_end(&h, utc(2026, 4, 22, 0));
    assert!(
        close(f.payment_ratio_change, (0.05 + 0.055) / 2.0 - 1.0),
        "{f:?}"
    );
    // Two due: no earlier months to compare, so no change.
    assert_eq!(at_end(&h, utc(2026, 3, 22, 0)).payment_ratio_change, 0.0);
}

#[test]
fn days_past_due_reads_reports_up_to_as_of() {
    let h = [
        registered(utc(2026, 1, 1, 0), 1_000),
        dpd(utc(2026, 1, 10, 0), 40),
        dpd(utc(2026, 7, 1, 0), 12),
        dpd(utc(2026, 7, 20, 0), 0),
    ];
    // 2026-07-09 is 180 days after 2026-01-10: the day of the 40 is in the
    // 180 days up to 2026-07-08, not in those up to 2026-07-09.
    let f = at_end(&h, utc(2026, 7, 5, 0));
    assert_eq!((f.days_past_due, f.max_days_past_due_6m), (12.0, 40.0));
    let f = at_end(&h, utc(2026, 7, 8, 23));
    assert_eq!((f.days_past_due, f.max_days_past_due_6m), (12.0, 40.0));
    let f = at_end(&h, utc(2026, 7, 9, 0));
    assert_eq!((f.days_past_due, f.max_days_past_due_6m), (12.0, 12.0));
    // 2026-07-21 is 192 days after 2026-01-10: the 40 has left the window.
    let f = at_end(&h, utc(2026, 7, 21, 0));
    assert_eq!((f.days_past_due, f.max_days_past_due_6m), (0.0, 12.0));
    // The full state, asked about a moment before the later reports.
    let mut state = FeatureState::default();
    h.iter().for_each(|e| state.apply(e));
    let f = state.features(utc(2026, 1, 9, 0));
    assert_eq!((f.days_past_due, f.max_days_past_due_6m), (0.0, 0.0));
}

#[test]
fn statements_not_yet_due_are_ignored() {
    let h = repayment_history();
    // 2026-09-21 is s8's due date: s7 is still the latest due statement.
    let f = at_end(&h, utc(2026, 9, 21, 12));
    assert_eq!(f.payment_ratio, 0.05);
    assert_eq!(
        f.late_months_6m, 1.0,
        "s5 only: s8 not due, s7 reported current"
    );
    assert_eq!(f.consecutive_min_only, 1.0, "s7, then s6");
}

#[test]
fn folded_events_after_as_of_are_ignored() {
    let h = repayment_history();
    let as_of = utc(2026, 6, 30, 23);
    let mut full = FeatureState::default();
    h.iter().for_each(|e| full.apply(e));
    let mut more = h.clone();
    more.push(purchase(utc(2026, 9, 26, 9), 90_000, "6011"));
    more.push(limit_changed(utc(2026, 9, 27, 0), 100_000, 0));
    more.iter().skip(h.len()).for_each(|e| full.apply(e));
    let f = full.features(as_of);
    assert_eq!(f, features_from_history(&h, as_of));
    assert_eq!(f, at_end(&prefix_until(&h, as_of), as_of));
    // s5 (due 2026-06-21, unpaid, reported 5 days late) is the latest due.
    assert_eq!(
        (f.payment_ratio, f.late_months_6m, f.days_past_due),
        (0.0, 1.0, 5.0)
    );
    assert_eq!(f.utilisation, 0.0);
}

fn prefix_until(h: &[CustomerEvent], as_of: DateTime<Utc>) -> Vec<CustomerEvent> {
    h.iter()
        .filter(|e| e.occurred_at() <= as_of)
        .cloned()
        .collect()
}
