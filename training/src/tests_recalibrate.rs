//! Tests of the alert policy chosen again on a bank's own history: the
//! scorers kept, the budget held as deployed on that history, a tighter
//! budget never a lower threshold, and bad input refused.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::risk::demo_artifact;

use crate::deployed::{experienced, timelines, HighBand};
use crate::log_training::SAFETY;
use crate::pit::{replay, History};
use crate::recalibrate::recalibrate;
use crate::simulate::{write_ndjson, Profile, SimConfig};

fn bank_history() -> BTreeMap<String, History> {
    let cfg = SimConfig {
        customers: 160,
        months: 10,
        seed: 41,
        start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        stressed_share: 0.25,
        profile: Profile::Realistic,
        first_index: 0,
    };
    let mut bytes = Vec::new();
    write_ndjson(&cfg, &mut bytes).expect("simulate");
    replay(bytes.as_slice()).expect("replay").0
}

fn one_portfolio(h: &BTreeMap<String, History>) -> BTreeMap<String, usize> {
    h.keys().map(|id| (id.clone(), 0)).collect()
}

#[test]
fn the_policy_is_chosen_on_the_banks_history_and_the_scorers_are_kept() {
    let model = demo_artifact();
    let h = bank_history();
    let names = ["bank.ndjson".to_owned()];
    let r = recalibrate(&model, &h, &one_portfolio(&h), 14, 0.10, &names).expect("recalibrated");
    let a = &r.artifact;
    assert_eq!(a.logistic, model.logistic);
    assert_eq!(a.tree, model.tree);
    assert_eq!(a.features, model.features);
    assert_eq!(a.bands.high, r.calibration.chosen.high);
    assert!(a.training.notes.contains("recalibrated on bank.ndjson"));
    // As deployed on that history, the budget aimed at holds.
    let lived = experienced(&timelines(a, &h), HighBand::of(a));
    assert!(
        lived.false_alarm_rate <= 0.10 * SAFETY + 1e-12,
        "{}",
        lived.false_alarm_rate
    );
    assert_eq!(
        lived.false_alarm_rate,
        r.calibration.chosen.false_alarm_rate
    );
    // A tighter budget never lowers the threshold.
    let tight = recalibrate(&model, &h, &one_portfolio(&h), 14, 0.02, &names).expect("tight");
    assert!(tight.artifact.bands.high >= a.bands.high);
}

#[test]
fn a_history_without_both_outcomes_or_a_budget_out_of_range_is_refused() {
    let model = demo_artifact();
    let h = bank_history();
    let names = ["bank.ndjson".to_owned()];
    for budget in [0.0, 1.0, 1.5, f64::NAN] {
        let e = recalibrate(&model, &h, &one_portfolio(&h), 14, budget, &names);
        assert!(e.is_err(), "budget {budget} accepted");
    }
    let healthy: BTreeMap<String, History> = h
        .into_iter()
        .filter(|(_, x)| x.first_delinquent().is_none())
        .collect();
    let e = recalibrate(&model, &healthy, &one_portfolio(&healthy), 14, 0.1, &names)
        .expect_err("no delinquent customer");
    assert!(e.to_string().contains("became delinquent"), "{e}");
}
