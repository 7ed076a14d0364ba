//! `early-risk audit verify` and `verify-log` as an operator runs them: a
//! summary and exit 0 on an honest log; the differing field or the broken
//! link and exit 1 once a decision was edited in the database.

#[path = "../../projections/tests/common/mod.rs"]
mod portfolio;

use std::process::Command;
use std::sync::Arc;

use projections::lag::LagTracker;
use projections::recorder::DecisionRecorder;
use projections::views::scoring::CustomerFeatures;
use projections::Runner;
use store::testing::fresh_database;

fn audit(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_early-risk"))
        .arg("audit")
        .args(["--database-url", url])
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("run early-risk");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn audit_commands_pass_an_honest_log_and_fail_an_edited_one() {
    let db = fresh_database().await;
    let model = domain::risk::demo_artifact();
    store::registry::register(&db.pool, &model)
        .await
        .expect("register");
    let bus = portfolio::bus(&db.pool);
    let head = portfolio::write(&bus, portfolio::portfolio(8)).await;
    let runner = Runner::new(
        CustomerFeatures::new(Arc::new(model)),
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(5);
    runner.catch_up_to(head, 10_000).await.expect("scored");
    let recorder =
        DecisionRecorder::new(db.pool.clone(), bus, Arc::new(tokio::sync::Notify::new()));
    while recorder.drain_once().await.expect("recorded") > 0 {}
    let decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert!(decisions > 0);

    let (ok, out) = audit(&db.url, &["verify", "--quiet"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("decisions checked  {decisions}\n")),
        "{out}"
    );
    assert!(out.contains("mismatched         0\n"), "{out}");
    let (ok, out) = audit(&db.url, &["verify-log", "--quiet"]);
    assert!(ok && out.contains("hash chain intact"), "{out}");

    // Someone with database access edits a recorded decision.
    let (customer, sequence): (String, i64) = sqlx::query_as(
        "SELECT aggregate_id, sequence FROM events WHERE event_type = 'RiskAssessed' \
         ORDER BY global_position LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("a decision");
    let mut conn = db.pool.acquire().await.expect("connection");
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut *conn)
        .await
        .expect("disable the trigger");
    sqlx::query(
        "UPDATE events SET payload = jsonb_set(payload, '{RiskAssessed,assessment,features,utilisation}', '0.5') \
         WHERE aggregate_id = $1 AND sequence = $2",
    )
    .bind(&customer)
    .bind(sequence)
    .execute(&mut *conn)
    .await
    .expect("edit");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut *conn)
        .await
        .expect("enable the trigger");

    let (ok, out) = audit(&db.url, &["verify", "--quiet"]);
    assert!(!ok, "{out}");
    assert!(out.contains("MISMATCH"), "{out}");
    assert!(out.contains("features.utilisation: recorded 0.5"), "{out}");
    assert!(out.contains("mismatched         1\n"), "{out}");
    let (ok, out) = audit(&db.url, &["verify-log", "--quiet"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "first broken link at customer {customer} #{sequence}"
        )),
        "{out}"
    );
}
