//! `early-risk calibrate` end to end: a simulated bank history in, a new
//! artifact out whose scorers are the model's and whose policy differs in
//! version only by its bands; an `--out` that would overwrite the model it
//! reads is refused and leaves the model as it was. With `--from-store`, the
//! policy chosen on the history a live system recorded is the one chosen on
//! the command log it was imported from, with the same figures, and the two
//! sources cannot be mixed up.
use std::path::Path;
use std::process::Command;

use store::testing::fresh_database;
use store::{CommandBus, PgEventStore};

fn early_risk(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_early-risk"))
        .args(args)
        .env("RUST_LOG", "error")
        .env_remove("ALERT_FALSE_ALARM_BUDGET")
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_OWNER_URL")
        .output()
        .expect("run early-risk");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The demo model's JSON (stdout only: its version goes to stderr).
fn demo_model() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_early-risk"))
        .arg("demo-model")
        .output()
        .expect("run early-risk");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A bank's year: 150 simulated customers (realistic, 10 months) in `log`.
fn simulate_bank(log: &str) {
    let (ok, out) = early_risk(&[
        "simulate",
        "--customers",
        "150",
        "--months",
        "10",
        "--seed",
        "8",
        "--profile",
        "realistic",
        "--out",
        log,
        "--truth",
        "/dev/null",
    ]);
    assert!(ok, "{out}");
}

/// `calibrate` of `log` with `model` into `out` within `budget`.
fn calibrate(log: &str, model: &str, out: &str, budget: &str) -> (bool, String) {
    early_risk(&[
        "calibrate",
        "--input",
        log,
        "--model",
        model,
        "--out",
        out,
        "--false-alarm-budget",
        budget,
    ])
}

fn artifact(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read artifact")).expect("json")
}

#[test]
fn a_banks_history_gives_a_new_policy_and_the_same_scorers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("bank.ndjson");
    let log = log.to_str().expect("utf-8 path");
    simulate_bank(log);
    let model = dir.path().join("demo.json");
    std::fs::write(&model, demo_model()).expect("write demo model");
    let model = model.to_str().expect("utf-8 path");
    let out_dir = dir.path().join("recalibrated");
    let out_dir = out_dir.to_str().expect("utf-8 path");
    let (ok, out) = calibrate(log, model, out_dir, "0.05");
    assert!(ok, "{out}");
    assert!(out.contains("High from"), "{out}");
    let before = artifact(Path::new(model));
    let after = artifact(&Path::new(out_dir).join("model.json"));
    for kept in [
        "features",
        "standardisation",
        "logistic",
        "tree",
        "ensemble",
    ] {
        assert_eq!(before[kept], after[kept], "{kept} changed");
    }
    assert!(after["training"]["notes"]
        .as_str()
        .is_some_and(|n| n.contains("recalibrated on bank.ndjson")));
    // The budget is read: a tighter one never lowers the threshold.
    let tight = dir.path().join("tight");
    let tight = tight.to_str().expect("utf-8 path");
    let (ok, out) = calibrate(log, model, tight, "0.01");
    assert!(ok, "{out}");
    let high = |v: &serde_json::Value| v["bands"]["high"].as_f64().expect("high");
    assert!(high(&artifact(&Path::new(tight).join("model.json"))) >= high(&after));
}

#[test]
fn an_out_that_would_overwrite_the_model_read_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model.json");
    let json = demo_model();
    std::fs::write(&model, &json).expect("write demo model");
    let (ok, out) = early_risk(&[
        "calibrate",
        "--input",
        "/nonexistent.ndjson",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--out",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("must not hold the --model"), "{out}");
    assert_eq!(std::fs::read_to_string(&model).expect("read"), json);
}

#[tokio::test]
async fn the_policy_chosen_on_the_store_is_the_one_chosen_on_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let log = path("bank.ndjson");
    simulate_bank(&log);
    let model = path("demo.json");
    std::fs::write(&model, demo_model()).expect("write demo model");

    let db = fresh_database().await;
    let bus = CommandBus::new(PgEventStore::new(db.pool.clone()));
    let report = api::import::import_file(
        &bus,
        Path::new(&log),
        2_000,
        false,
        chrono::Duration::minutes(5),
    )
    .await
    .expect("import");
    assert_eq!(report.rejected, 0, "{:?}", report.errors);

    let (from_log, from_store) = (path("from-log"), path("from-store"));
    let (ok, log_out) = early_risk(&[
        "calibrate",
        "--input",
        &log,
        "--model",
        &model,
        "--out",
        &from_log,
    ]);
    assert!(ok, "{log_out}");
    let (ok, out) = early_risk(&[
        "calibrate",
        "--from-store",
        "--database-url",
        &db.url,
        "--model",
        &model,
        "--out",
        &from_store,
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("150 customers"), "{out}");
    // The chosen point's figures (share reached early, share messaged).
    let figures = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("High from"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no chosen point in {text}"))
    };
    assert_eq!(figures(&out), figures(&log_out));
    let (a, b) = (
        artifact(&Path::new(&from_log).join("model.json")),
        artifact(&Path::new(&from_store).join("model.json")),
    );
    for same in ["bands", "rules", "logistic", "tree", "boosted"] {
        assert_eq!(
            a[same], b[same],
            "{same} differs between the log and the store"
        );
    }
    assert!(b["training"]["notes"]
        .as_str()
        .is_some_and(|n| n.contains("recalibrated on the event store")));
}

#[test]
fn a_history_must_come_from_logs_or_the_store_not_both_nor_neither() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8");
    let (ok, text) = early_risk(&["calibrate", "--out", out]);
    assert!(!ok && text.contains("--input"), "{text}");
    let (ok, text) = early_risk(&[
        "calibrate",
        "--input",
        "bank.ndjson",
        "--from-store",
        "--out",
        out,
    ]);
    assert!(!ok && text.contains("cannot be used with"), "{text}");
}
