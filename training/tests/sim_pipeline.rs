//! The simulated-portfolio pipeline end to end: simulate, replay through the
//! aggregate, point-in-time rows without look-ahead, fit, evaluate.

use std::io::Write;

use chrono::Duration;
use training::pit::{point_in_time, replay, History, HORIZON_DAYS};
use training::simulate::{write_ndjson, SimConfig};
use training::FitConfig;

fn portfolio(customers: usize, seed: u64) -> (std::path::PathBuf, Vec<u8>) {
    let mut bytes = Vec::new();
    let cfg = SimConfig {
        customers,
        months: 12,
        seed,
        stressed_share: 0.25,
        ..SimConfig::default()
    };
    write_ndjson(&cfg, &mut bytes).expect("simulate");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sim-{seed}-{customers}-{}.ndjson",
        std::process::id()
    ));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .expect("write log");
    (path, bytes)
}

#[test]
fn training_on_a_simulated_log_finds_the_stressed_customers_early() {
    let (path, _) = portfolio(400, 11);
    let cfg = FitConfig {
        seed: 3,
        ..FitConfig::default()
    };
    let t = training::log_training::train_from_log(
        std::slice::from_ref(&path),
        &cfg,
        14,
        "2026-11-21T00:00:00Z",
        0.10,
        training::champion::Deciding::Baseline,
    )
    .expect("train");
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        t.refused_lines, 0,
        "the simulator writes only valid commands"
    );
    t.artifact.validate().expect("valid artifact");
    let ensemble = &t.test.scorers["ensemble"];
    assert!(ensemble.auc > 0.8, "held-out AUC {}", ensemble.auc);
    let w = &t.test.early_warning;
    assert!(w.delinquent_customers > 0 && w.never_delinquent_customers > 0);
    assert!(w.flagged_30_days_early > 0.5, "{w:?}");
    // The alert policy was chosen on validation customers within the budget.
    let c = &t.calibration;
    assert!(
        c.chosen.false_alarm_rate <= 0.10 * training::log_training::SAFETY,
        "{c:?}"
    );
    assert_eq!(t.artifact.bands.high, c.chosen.high);
    let high: Vec<&String> = t
        .artifact
        .rules
        .rules
        .iter()
        .filter(|r| r.band == domain::risk::Band::High)
        .map(|r| &r.id)
        .collect();
    assert_eq!(high, c.high_rules.iter().collect::<Vec<_>>());
    assert_eq!(t.test.rules.rules.len(), t.artifact.rules.rules.len());
    assert!(training::log_training::model_card(&t).contains(&t.artifact.version()));
}

#[test]
fn observations_never_see_the_future_and_labels_look_90_days_ahead() {
    let (_, bytes) = portfolio(60, 5);
    let (histories, refused) = replay(bytes.as_slice()).expect("replay");
    assert_eq!(refused, 0);
    let (data, observations) = point_in_time(&histories, 14);
    assert_eq!(data.len(), observations.len());
    for (o, row) in observations.iter().zip(&data.x).take(400) {
        let history = &histories[&o.customer_id];
        // Features as of `at` are the same with everything after `at` cut off.
        let past = History {
            events: history
                .events
                .iter()
                .filter(|e| e.occurred_at() <= o.at)
                .cloned()
                .collect(),
        };
        let cut = domain::features::features_from_history(&past.events, o.at);
        assert_eq!(cut.to_vec().map(f64::to_bits), row.map(f64::to_bits));
        let expected = history
            .first_delinquent()
            .is_some_and(|d| d > o.at && d <= o.at + Duration::days(HORIZON_DAYS));
        assert_eq!(o.label, expected, "{} at {}", o.customer_id, o.at);
        assert!(
            history.first_delinquent().is_none_or(|d| d > o.at),
            "no observation after delinquency"
        );
    }
}
