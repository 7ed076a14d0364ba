//! `early-risk calibrate` end to end: a simulated bank history in, a new
//! artifact out whose scorers are the model's and whose policy differs in
//! version only by its bands; an `--out` that would overwrite the model it
//! reads is refused and leaves the model as it was.

use std::path::Path;
use std::process::Command;

fn early_risk(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_early-risk"))
        .args(args)
        .env("RUST_LOG", "error")
        .env_remove("ALERT_FALSE_ALARM_BUDGET")
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
