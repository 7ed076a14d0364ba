//! Tests of the as-deployed evaluation: the decision moments (every event,
//! every day's end, nothing at or after the first delinquency, no
//! look-ahead), what customers experienced on hand-made timelines, and the
//! trade-off curve and the choice under a budget.

use chrono::{DateTime, NaiveDate, Utc};
use domain::features::features_from_history;
use domain::risk::{demo_artifact, verdict};

use crate::deployed::*;
use crate::pit::replay;
use crate::simulate::{write_ndjson, Profile, SimConfig};

fn histories(profile: Profile) -> std::collections::BTreeMap<String, crate::pit::History> {
    let cfg = SimConfig {
        customers: 40,
        months: 8,
        seed: 5,
        start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        stressed_share: 0.4,
        profile,
        first_index: 0,
    };
    let mut bytes = Vec::new();
    write_ndjson(&cfg, &mut bytes).expect("simulate");
    replay(bytes.as_slice()).expect("replay").0
}

/// The features of `history` from what had happened by `at` (seconds),
/// folded in business-time order: what a moment may know, recomputed.
fn features_at(history: &crate::pit::History, at: i64) -> domain::features::Features {
    let as_of = DateTime::<Utc>::from_timestamp(at, 0).expect("time");
    let mut past: Vec<_> = history
        .events
        .iter()
        .filter(|e| e.is_behaviour() && e.occurred_at() <= as_of)
        .cloned()
        .collect();
    past.sort_by_key(domain::CustomerEvent::occurred_at);
    features_from_history(&past, as_of)
}

#[test]
fn a_customer_is_decided_at_every_event_and_each_days_end_until_delinquency_without_look_ahead() {
    let model = demo_artifact();
    // Hard: late-arriving transactions, so stream order is not time order.
    let hs = histories(Profile::Hard);
    let lines = timelines(&model, &hs);
    assert_eq!(lines.len(), hs.len());
    let end = hs
        .values()
        .flat_map(|h| h.events.iter().filter(|e| e.is_behaviour()))
        .map(|e| e.occurred_at().timestamp())
        .max()
        .expect("events");
    let mut delinquent = 0;
    for t in &lines {
        let h = &hs[&t.customer_id];
        let stop = t.first_delinquent.unwrap_or(end + 1);
        delinquent += usize::from(t.first_delinquent.is_some());
        assert!(
            t.moments.windows(2).all(|w| w[0].at < w[1].at),
            "time order"
        );
        assert!(
            t.moments.iter().all(|m| m.at < stop),
            "nothing from delinquency on"
        );
        let times: Vec<i64> = t.moments.iter().map(|m| m.at).collect();
        for e in h.events.iter().filter(|e| e.is_behaviour()) {
            let at = e.occurred_at().timestamp();
            if at < stop {
                assert!(times.binary_search(&at).is_ok(), "a moment at every event");
            }
        }
        let first = times[0];
        let mut day = (first.div_euclid(86_400) + 1) * 86_400;
        while day < stop {
            assert!(
                times.binary_search(&day).is_ok(),
                "a moment at each day's end"
            );
            day += 86_400;
        }
        // No look-ahead: each moment scores only what happened by then.
        for m in t.moments.iter().step_by(37) {
            let v = verdict(&model, &features_at(h, m.at));
            assert_eq!(v.scores.ensemble.to_bits(), m.score.to_bits());
        }
    }
    assert!(delinquent > 0, "some customers become delinquent");
}

#[test]
fn the_first_high_decision_keeps_the_features_it_scored_and_its_reasons() {
    let model = demo_artifact();
    let hs = histories(Profile::Hard);
    let band = HighBand::of(&model);
    let mut seen = 0;
    for t in timelines(&model, &hs) {
        let first = t.moments.iter().find(|m| band.is_high(m)).map(|m| m.at);
        assert_eq!(
            t.first_high.as_ref().map(|h| h.at),
            first,
            "{}",
            t.customer_id
        );
        let Some(h) = &t.first_high else { continue };
        seen += 1;
        assert_eq!(h.features, features_at(&hs[&t.customer_id], h.at));
        assert!(!h.reasons.is_empty(), "a High decision gives its reasons");
        assert!(h
            .reasons
            .iter()
            .all(|r| r.starts_with("model:") || r.starts_with("rule:")));
    }
    assert!(seen > 0, "some customers reach High");
}

fn moment(day: i64, score: f64) -> Moment {
    Moment {
        at: day * 86_400,
        score,
        fired: 0,
    }
}

fn line(id: &str, delinquent_day: Option<i64>, scores: &[(i64, f64)]) -> Timeline {
    Timeline {
        customer_id: id.into(),
        first_delinquent: delinquent_day.map(|d| d * 86_400),
        moments: scores.iter().map(|&(d, s)| moment(d, s)).collect(),
        months: 10.0,
        first_high: None,
    }
}

fn portfolio() -> Vec<Timeline> {
    vec![
        // Messaged on day 10, delinquent on day 60: 50 days early.
        line("D1", Some(60), &[(1, 0.1), (10, 0.8), (11, 0.9), (40, 0.2)]),
        // Messaged on day 50, delinquent on day 60: too late to count.
        line("D2", Some(60), &[(1, 0.1), (50, 0.7)]),
        // Never messaged.
        line("D3", Some(60), &[(1, 0.1), (59, 0.4)]),
        // Healthy, messaged twice (it left High in between).
        line("H1", None, &[(1, 0.9), (2, 0.1), (3, 0.95)]),
        line("H2", None, &[(1, 0.2), (2, 0.3)]),
        line("H3", None, &[(1, 0.45)]),
        line("H4", None, &[(1, 0.0)]),
    ]
}

#[test]
fn experienced_figures_count_customers_messages_and_leads() {
    let e = experienced(
        &portfolio(),
        HighBand {
            high: 0.6,
            high_rules: 0,
        },
    );
    assert_eq!(e.delinquent_customers, 3);
    assert!((e.flagged_30_days_early - 1.0 / 3.0).abs() < 1e-12);
    assert!((e.flagged_before - 2.0 / 3.0).abs() < 1e-12);
    assert!((e.median_lead_days - 30.0).abs() < 1e-12, "leads 50 and 10");
    assert_eq!(e.never_delinquent_customers, 4);
    assert!((e.false_alarm_rate - 0.25).abs() < 1e-12);
    // Alerts: D1 once, D2 once, H1 twice, over 70 customer-months.
    assert!((e.alerts_per_1000_customers_per_month - 4.0 * 1000.0 / 70.0).abs() < 1e-9);
    assert_eq!(e.moments, 15);
}

#[test]
fn each_customers_outcome_is_their_first_delinquency_and_first_message() {
    let band = HighBand {
        high: 0.6,
        high_rules: 0,
    };
    let o = outcomes(&portfolio(), band);
    let day = |d: i64| Some(d * 86_400);
    let got: Vec<_> = o
        .iter()
        .map(|o| (o.customer_id.as_str(), o.first_delinquent, o.first_message))
        .collect();
    assert_eq!(
        got,
        vec![
            ("D1", day(60), day(10)),
            ("D2", day(60), day(50)),
            ("D3", day(60), None),
            ("H1", None, day(1)),
            ("H2", None, None),
            ("H3", None, None),
            ("H4", None, None),
        ]
    );
}

#[test]
fn a_rule_that_sets_high_alerts_whatever_the_score() {
    let mut t = portfolio();
    t[2].moments[0].fired = 0b10;
    let e = experienced(
        &t,
        HighBand {
            high: 0.99,
            high_rules: 0b10,
        },
    );
    assert!(
        (e.flagged_30_days_early - 1.0 / 3.0).abs() < 1e-12,
        "only D3, by the rule"
    );
    assert_eq!(e.false_alarm_rate, 0.0);
}

#[test]
fn the_curve_falls_with_the_threshold_and_the_choice_keeps_within_the_budget() {
    let points = curve(&portfolio(), 0, &threshold_grid());
    assert!(points.windows(2).all(|w| {
        w[1].false_alarm_rate <= w[0].false_alarm_rate
            && w[1].flagged_30_days_early <= w[0].flagged_30_days_early
    }));
    // Healthy peaks 0.95, 0.3, 0.45, 0: within 25 % from above 0.45.
    let chosen = choose_high(&points, 0.25);
    assert!((chosen.high - 0.46).abs() < 1e-12, "{chosen:?}");
    assert!((chosen.false_alarm_rate - 0.25).abs() < 1e-12);
    // D1 peaks at 0.9 by day 30 (its 60 - 30); D2 and D3 only 0.1 by then.
    assert!((chosen.flagged_30_days_early - 1.0 / 3.0).abs() < 1e-12);
    // The same point as measuring it directly.
    let e = experienced(
        &portfolio(),
        HighBand {
            high: chosen.high,
            high_rules: 0,
        },
    );
    assert_eq!(e.false_alarm_rate, chosen.false_alarm_rate);
    assert_eq!(e.flagged_30_days_early, chosen.flagged_30_days_early);
}

#[test]
fn a_budget_on_every_portfolio_holds_on_the_one_with_the_most_false_alarms() {
    // H1 and H2 in portfolio 1, H3 and H4 in portfolio 0 (healthy peaks
    // 0.95, 0.3 | 0.45, 0); the delinquents count wherever they are.
    let of = |id: &str| usize::from(id == "H1" || id == "H2");
    let grid = threshold_grid();
    let every = curve_on_every(&portfolio(), of, 0, &grid);
    let pooled = curve(&portfolio(), 0, &grid);
    let at = |points: &[CurvePoint], high: f64| {
        points
            .iter()
            .find(|p| (p.high - high).abs() < 1e-9)
            .copied()
            .expect("on the grid")
    };
    // At 0.40: pooled 2 of 4 healthy messaged; per portfolio 1 of 2 in each.
    assert_eq!(at(&pooled, 0.40).false_alarm_rate, 0.5);
    assert_eq!(at(&every, 0.40).false_alarm_rate, 0.5);
    // At 0.46: pooled 1 of 4; portfolio 1 still 1 of 2.
    assert_eq!(at(&pooled, 0.46).false_alarm_rate, 0.25);
    assert_eq!(at(&every, 0.46).false_alarm_rate, 0.5);
    // The same delinquents are reached at every threshold.
    for (p, e) in pooled.iter().zip(&every) {
        assert_eq!(p.flagged_30_days_early, e.flagged_30_days_early);
    }
    // A 25 % budget on every portfolio needs a threshold above H1's 0.95.
    assert!(choose_high(&every, 0.25).high > 0.95);
    assert!((choose_high(&pooled, 0.25).high - 0.46).abs() < 1e-12);
}
