//! `early-risk calibrate --from-store`: the policy chosen on the history a
//! live system has recorded is the one chosen on the command log it was
//! imported from, with the same figures, and the two sources cannot be
//! mixed up.

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

fn artifact(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("model.json")).expect("read artifact");
    serde_json::from_str(&text).expect("json")
}

#[tokio::test]
async fn the_policy_chosen_on_the_store_is_the_one_chosen_on_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let log = path("bank.ndjson");
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
        &log,
        "--truth",
        "/dev/null",
    ]);
    assert!(ok, "{out}");
    let model = path("demo.json");
    let demo = Command::new(env!("CARGO_BIN_EXE_early-risk"))
        .arg("demo-model")
        .output()
        .expect("demo-model");
    std::fs::write(&model, demo.stdout).expect("write demo model");

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
        artifact(Path::new(&from_log)),
        artifact(Path::new(&from_store)),
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
