//! Training on the real UCI data in `shared/data/uci-credit-default`, when it
//! is present (the test prints a message and passes when it is not).
//!
//! - `uci_subsample_trains_a_useful_model`: about a quarter of the clients
//!   (chosen by id hash), 80/20 split, test AUC of the ensemble > 0.70. Fast
//!   enough for CI in debug mode.
//! - `uci_full_training_report` (ignored): the full file through
//!   `train_uci_default`, printing every metric and the time taken; run with
//!   `cargo test --release -p training -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use training::dataset::fnv1a;
use training::uci::customer_id;
use training::{evaluate, fit, read_uci, train_uci_default, uci_dataset, FitConfig, Metrics};

const TRAIN_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/uci-credit-default/train.csv"
);

fn present() -> bool {
    if Path::new(TRAIN_CSV).exists() {
        true
    } else {
        println!("skipped: {TRAIN_CSV} is absent");
        false
    }
}

fn print(label: &str, m: &Metrics) {
    println!(
        "{label}: {} rows, {:.2} % defaults",
        m.rows,
        m.default_rate * 100.0
    );
    for (name, s) in [
        ("logistic", m.logistic),
        ("tree", m.tree),
        ("ensemble", m.ensemble),
    ] {
        println!(
            "  {name:<9} AUC {:.4}  accuracy {:.4}  Brier {:.4}  KS {:.4}",
            s.auc, s.accuracy, s.brier, s.ks
        );
    }
}

#[test]
fn uci_subsample_trains_a_useful_model() {
    if !present() {
        return;
    }
    let file = std::fs::File::open(TRAIN_CSV).expect("opens");
    let clients = read_uci(std::io::BufReader::new(file)).expect("parses");
    assert_eq!(clients.len(), 24_000);
    let cfg = FitConfig::default();
    let sample: Vec<_> = clients
        .into_iter()
        .filter(|c| fnv1a(&customer_id(c), 99) >> 62 == 0)
        .collect();
    assert!((5_000..7_000).contains(&sample.len()), "{}", sample.len());
    let data = uci_dataset(&sample).expect("features");
    let (train, test) = data.split(0.2, cfg.seed);
    let model = fit(
        &train,
        &cfg,
        "uci-subsample",
        "UCI train.csv, 1/4 by id hash",
        "t",
    )
    .expect("fits");
    let m = evaluate(&model, &test);
    print("test (subsample)", &m);
    assert!(m.ensemble.auc > 0.70, "{m:?}");
    assert!(m.logistic.auc > 0.65 && m.tree.auc > 0.65, "{m:?}");
    // A default-raising feature raises the regression's probability.
    let dpd = model.features.iter().position(|f| f == "days_past_due");
    assert!(
        dpd.is_some_and(|j| model.logistic.coefficients[j] > 0.0),
        "{model:?}"
    );
}

#[test]
#[ignore = "full data; run in release mode"]
fn uci_full_training_report() {
    if !present() {
        return;
    }
    let start = Instant::now();
    let (model, test, train) =
        train_uci_default(TRAIN_CSV, "2026-11-21T00:00:00Z").expect("trains");
    let elapsed = start.elapsed();
    print("test", &test);
    print("train", &train);
    println!(
        "version {}, {} tree nodes, trained in {:.2} s (read + events + features + fit + evaluate)",
        model.version(),
        model.tree.nodes.len(),
        elapsed.as_secs_f64()
    );
    println!("coefficients {:?}", model.logistic.coefficients);
    assert!(test.ensemble.auc > 0.70);
}
