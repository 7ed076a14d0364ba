//! The day-end evaluation over the real read side: time passing decides
//! customers who sent nothing, each decision is the one the decide function
//! makes from the customer's own events as of the day's end, a day is
//! decided once however often it runs (and a run that stopped resumes after
//! its last page), dormant customers and customers with newer facts are
//! left alone, the recorded decisions move the customer's risk row, and the
//! auditor's replay reproduces every one bit for bit.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use audit::models::ModelCache;
use audit::replay::{replay_decision, Verdict};
use audit::verify::{verify, VerifyOptions};
use chrono::NaiveDate;
use common::*;
use domain::customer::RecordRiskAssessment;
use domain::features::FeatureState;
use domain::risk::{decide_features, demo_artifact, end_of_day, DecisionPoint, DAY_END};
use domain::CustomerEvent;
use projections::day_end::DayEnd;
use sqlx::{PgPool, Row};
use store::testing::fresh_database;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The day-end decisions waiting in the outbox, by customer.
async fn pending(pool: &PgPool) -> BTreeMap<String, RecordRiskAssessment> {
    sqlx::query("SELECT customer_id, command FROM decision_outbox WHERE decision_id LIKE '%:day:%'")
        .fetch_all(pool)
        .await
        .expect("outbox")
        .into_iter()
        .map(|r| {
            let c: RecordRiskAssessment =
                serde_json::from_value(r.get("command")).expect("a decision");
            (r.get("customer_id"), c)
        })
        .collect()
}

/// The customer's behaviour folded from the store, in stream order.
async fn folded(pool: &PgPool, customer: &str) -> (FeatureState, i64) {
    let rows = sqlx::query(
        "SELECT sequence, event_type, payload FROM events WHERE aggregate_id = $1 ORDER BY sequence",
    )
    .bind(customer)
    .fetch_all(pool)
    .await
    .expect("stream");
    let mut state = FeatureState::default();
    let mut last = 0;
    for r in rows {
        let e: CustomerEvent = serde_json::from_value(r.get("payload")).expect("event");
        if e.is_behaviour() {
            state.apply(&e);
            last = r.get("sequence");
        }
    }
    (state, last)
}

#[tokio::test]
async fn time_passing_decides_once_a_day_and_every_decision_replays() {
    let db = fresh_database().await;
    let model = demo_artifact();
    let read_side = ReadSide::start(&db.pool, model.clone(), 50).await;
    let bus = bus(&db.pool);
    write(&bus, portfolio(30)).await;
    read_side.settle().await;
    let version = model.version();
    let job = DayEnd::new(db.pool.clone(), Arc::new(model.clone())).with_page(7);

    // Three weeks after the last statements' due dates, with nothing new.
    let d = day("2026-05-12");
    let report = job.run(d).await.expect("run").expect("not locked");
    assert!(!report.already_done);
    assert_eq!(report.customers, 30, "every customer is active and older");
    let decided = pending(&db.pool).await;
    assert_eq!(report.decisions, decided.len() as i64);
    assert!(
        !decided.is_empty(),
        "time passing changed no decision: the test shows nothing"
    );
    println!(
        "day end {d}: {} customers evaluated, {} decisions",
        report.customers, report.decisions
    );

    // Each is the decide function's answer from the customer's own events
    // as of the day's end, against their last recorded decision.
    let last_bands: BTreeMap<String, String> =
        sqlx::query("SELECT customer_id, recorded_band FROM customer_risk")
            .fetch_all(&db.pool)
            .await
            .expect("risk rows")
            .into_iter()
            .map(|r| (r.get("customer_id"), r.get("recorded_band")))
            .collect();
    for (customer, c) in &decided {
        let (state, sequence) = folded(&db.pool, customer).await;
        assert_eq!(c.decision_id, format!("{customer}:day:2026-05-12"));
        assert_eq!(c.trigger.event_type, DAY_END);
        assert_eq!(c.trigger.sequence, sequence);
        assert_eq!(c.as_of, end_of_day(d));
        let point = DecisionPoint::at_day_end(customer, sequence, c.checkpoint, d);
        let again = decide_features(
            &model,
            &version,
            state.features(end_of_day(d)),
            &point,
            None,
        )
        .decision
        .expect("decided");
        assert_eq!(&again, c);
        assert!(last_bands.contains_key(customer));
    }

    // The day is done: running it again decides nothing.
    let again = job.run(d).await.expect("run").expect("not locked");
    assert!(again.already_done);
    assert_eq!(pending(&db.pool).await.len(), decided.len());

    // Recorded, the decisions move the risk rows and replay bit for bit.
    read_side.settle().await;
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id' FROM events \
         WHERE event_type = 'RiskAssessed' AND payload::text LIKE '%:day:%'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("recorded");
    assert_eq!(ids.len(), decided.len());
    for (customer, c) in &decided {
        let (band, scored_at): (String, chrono::DateTime<chrono::Utc>) =
            sqlx::query_as("SELECT band, scored_at FROM customer_risk WHERE customer_id = $1")
                .bind(customer)
                .fetch_one(&db.pool)
                .await
                .expect("risk row");
        assert_eq!((band, scored_at), (format!("{:?}", c.band), c.as_of));
    }
    let models = ModelCache::default();
    for id in &ids {
        let r = replay_decision(&db.pool, &models, id)
            .await
            .expect("replay");
        assert_eq!(r.verdict, Verdict::Match, "{id}");
    }
    let report = verify(&db.pool, &VerifyOptions::default(), Arc::new(|_| {}))
        .await
        .expect("verify");
    assert_eq!(report.summary.matched, report.summary.decisions);
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);

    // The next day is a day of its own; the one before is not decided again.
    let next = job
        .run(day("2026-05-13"))
        .await
        .expect("run")
        .expect("lock");
    assert_eq!(next.customers, 30);
    for (customer, c) in pending(&db.pool).await {
        assert_eq!(c.decision_id, format!("{customer}:day:2026-05-13"));
    }
}

#[tokio::test]
async fn a_run_that_stopped_resumes_after_its_last_page_and_loses_nothing() {
    let db = fresh_database().await;
    let model = demo_artifact();
    let read_side = ReadSide::start(&db.pool, model.clone(), 50).await;
    write(&bus(&db.pool), portfolio(20)).await;
    read_side.settle().await;
    let d = day("2026-05-12");

    // The whole run, on a copy of the outcome: what one uninterrupted run asks.
    let whole = DayEnd::new(db.pool.clone(), Arc::new(model.clone()));
    whole.run(d).await.expect("run").expect("lock");
    let expected = pending(&db.pool).await;
    assert!(expected.len() >= 2, "too few decisions to split");
    sqlx::query("DELETE FROM decision_outbox")
        .execute(&db.pool)
        .await
        .expect("reset");
    sqlx::query("DELETE FROM day_end_runs")
        .execute(&db.pool)
        .await
        .expect("reset");

    // A run that committed its pages up to the first decided customer, then
    // stopped: the cursor and that page's decision are in the database.
    let (first, command) = expected.iter().next().expect("one");
    sqlx::query(
        "INSERT INTO day_end_runs (day, model_version, cursor, customers, decisions) VALUES ($1, 'm', $2, 1, 1)",
    )
    .bind(d)
    .bind(first)
    .execute(&db.pool)
    .await
    .expect("stopped run");
    sqlx::query(
        "INSERT INTO decision_outbox (decision_id, customer_id, command) VALUES ($1, $2, $3)",
    )
    .bind(&command.decision_id)
    .bind(first)
    .bind(serde_json::to_value(command).expect("json"))
    .execute(&db.pool)
    .await
    .expect("its decision");
    let resumed = DayEnd::new(db.pool.clone(), Arc::new(model))
        .with_page(3)
        .run(d)
        .await
        .expect("run")
        .expect("lock");
    assert_eq!(pending(&db.pool).await, expected);
    let after_first = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM customer_features WHERE customer_id > $1",
    )
    .bind(first)
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(resumed.customers, 1 + after_first);
    assert_eq!(resumed.decisions, expected.len() as i64);
}

#[tokio::test]
async fn dormant_customers_and_customers_with_newer_facts_are_left_alone() {
    let db = fresh_database().await;
    let model = demo_artifact();
    let read_side = ReadSide::start(&db.pool, model.clone(), 50).await;
    write(&bus(&db.pool), portfolio(12)).await;
    read_side.settle().await;
    let job = DayEnd::new(db.pool.clone(), Arc::new(model));
    let latest: chrono::DateTime<chrono::Utc> =
        scalar(&db.pool, "SELECT max(as_of) FROM customer_features").await;
    let earliest: chrono::DateTime<chrono::Utc> =
        scalar(&db.pool, "SELECT min(as_of) FROM customer_features").await;

    // Before the newest facts: only the customers whose facts all came by then.
    let before = (latest - chrono::Duration::days(2)).date_naive();
    let older: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_features WHERE as_of <= $1")
        .bind(end_of_day(before))
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert!(
        older < 12 && earliest <= end_of_day(before),
        "the data has no such day"
    );
    let r = job.run(before).await.expect("run").expect("lock");
    assert_eq!(r.customers, older);

    // Long after everything: every customer is dormant.
    let far = (latest + chrono::Duration::days(60)).date_naive();
    let r = job.run(far).await.expect("run").expect("lock");
    assert_eq!((r.customers, r.decisions), (0, 0));
}
