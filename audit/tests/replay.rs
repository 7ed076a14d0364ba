//! Replay of decisions made by the real read side: every one reproduces bit
//! for bit, one at a time and over the portfolio, although batches ended
//! inside transactions and the customers' later events committed before the
//! decisions did; and a decision or a model edited behind the system's back
//! replays to a difference naming the field.

mod common;

use std::sync::Arc;

use audit::models::ModelCache;
use audit::replay::{replay_decision, Verdict};
use audit::verify::{verify, VerifyOptions};
use common::*;
use domain::features::FEATURE_NAMES;
use domain::risk::demo_artifact;
use sqlx::Row;
use store::testing::fresh_database;

async fn decision_ids(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id' FROM events \
         WHERE event_type = 'RiskAssessed' ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .expect("decision ids")
}

fn quiet() -> Arc<dyn Fn(&audit::verify::CustomerOutcome) + Send + Sync> {
    Arc::new(|_| {})
}

#[tokio::test]
async fn decisions_of_the_read_side_replay_to_match() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 30).await;

    // The data exercises what makes replay subtle.
    let ids = decision_ids(&db.pool).await;
    assert!(ids.len() >= 20, "only {} decisions", ids.len());
    let cut_transactions: i64 = scalar(
        &db.pool,
        "SELECT count(*) FROM events d WHERE d.event_type = 'RiskAssessed' AND EXISTS ( \
           SELECT 1 FROM events e WHERE e.aggregate_id = d.aggregate_id AND e.event_type <> 'RiskAssessed' \
             AND e.tx_id = (d.payload->'RiskAssessed'->'assessment'->'checkpoint'->>'tx_id')::xid8 \
             AND e.global_position > (d.payload->'RiskAssessed'->'assessment'->'checkpoint'->>'position')::bigint)",
    )
    .await;
    assert!(
        cut_transactions > 0,
        "no decision was made in the middle of a transaction"
    );
    let overtaken: i64 = scalar(
        &db.pool,
        "SELECT count(*) FROM events d WHERE d.event_type = 'RiskAssessed' AND EXISTS ( \
           SELECT 1 FROM events e WHERE e.aggregate_id = d.aggregate_id AND e.event_type <> 'RiskAssessed' \
             AND e.sequence < d.sequence \
             AND e.tx_id > (d.payload->'RiskAssessed'->'assessment'->'checkpoint'->>'tx_id')::xid8)",
    )
    .await;
    assert!(
        overtaken > 0,
        "no customer event committed between a trigger and its decision"
    );
    let repeat_customers: i64 = scalar(
        &db.pool,
        "SELECT count(*) FROM (SELECT aggregate_id FROM events WHERE event_type = 'RiskAssessed' \
         GROUP BY aggregate_id HAVING count(*) > 1) t",
    )
    .await;
    assert!(
        repeat_customers > 0,
        "no customer has more than one decision"
    );

    // One at a time, with the reference feature definition.
    let models = ModelCache::new();
    for id in &ids {
        let r = replay_decision(&db.pool, &models, id)
            .await
            .expect("replay");
        assert_eq!(r.verdict, Verdict::Match, "{id}: {:?}", r.verdict);
    }

    // The whole portfolio, each stream folded once.
    let report = verify(&db.pool, &VerifyOptions::default(), quiet())
        .await
        .expect("verify");
    assert_eq!(report.summary.decisions, ids.len());
    assert_eq!(report.summary.matched, ids.len(), "{:?}", report.mismatches);
    assert!(report.mismatches.is_empty());

    // One customer; decisions since a date.
    let (one, _) = ids[0].rsplit_once(':').expect("customer:position");
    let opts = VerifyOptions {
        customer: Some(one.to_owned()),
        ..VerifyOptions::default()
    };
    let report = verify(&db.pool, &opts, quiet())
        .await
        .expect("one customer");
    let mine = ids
        .iter()
        .filter(|i| i.starts_with(&format!("{one}:")))
        .count();
    assert_eq!(
        (report.summary.customers, report.summary.decisions),
        (1, mine)
    );
    let since: chrono::DateTime<chrono::Utc> = scalar(
        &db.pool,
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY \
           (payload->'RiskAssessed'->'assessment'->>'as_of')::timestamptz) \
         FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;
    let later: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed' \
           AND (payload->'RiskAssessed'->'assessment'->>'as_of')::timestamptz >= $1",
    )
    .bind(since)
    .fetch_one(&db.pool)
    .await
    .expect("count");
    let opts = VerifyOptions {
        since: Some(since),
        ..VerifyOptions::default()
    };
    let report = verify(&db.pool, &opts, quiet()).await.expect("since");
    assert_eq!(report.summary.decisions as i64, later);
    assert!(later > 0 && (later as usize) < ids.len());
}

#[tokio::test]
async fn the_audit_fold_ends_where_the_scoring_projection_ended() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 5).await;
    decided_portfolio(&db.pool, &read_side, 12).await;
    let rows = sqlx::query("SELECT * FROM customer_features ORDER BY customer_id")
        .fetch_all(&db.pool)
        .await
        .expect("features view");
    assert_eq!(rows.len(), 12);
    for row in rows {
        let id: String = row.get("customer_id");
        let events = audit::log::stream(&db.pool, &id).await.expect("stream");
        let mut fold = audit::fold::ScoringFold::default();
        for e in &events {
            fold.apply(e);
        }
        assert_eq!(fold.as_of(), Some(row.get("as_of")), "{id}");
        let features = fold.features().expect("features").to_vec();
        for (name, value) in FEATURE_NAMES.iter().zip(features) {
            let projected: f64 = row.get(*name);
            assert_eq!(value.to_bits(), projected.to_bits(), "{id} {name}");
        }
    }
}

async fn first_decision(pool: &sqlx::PgPool) -> (String, String, i64) {
    let row = sqlx::query(
        "SELECT aggregate_id, sequence, payload->'RiskAssessed'->'assessment'->>'decision_id' AS id \
         FROM events WHERE event_type = 'RiskAssessed' ORDER BY global_position LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a decision");
    (row.get("id"), row.get("aggregate_id"), row.get("sequence"))
}

#[tokio::test]
async fn an_edited_feature_value_is_named() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 12).await;
    let (id, customer, sequence) = first_decision(&db.pool).await;
    tamper(
        &db.pool,
        &format!(
            "UPDATE events SET payload = jsonb_set(payload, \
               '{{RiskAssessed,assessment,features,cash_withdrawal_share}}', '0.123456') \
             WHERE aggregate_id = '{customer}' AND sequence = {sequence}"
        ),
    )
    .await;

    let r = replay_decision(&db.pool, &ModelCache::new(), &id)
        .await
        .expect("replay");
    let Verdict::Mismatch(diffs) = r.verdict else {
        panic!("an edited decision replayed to a match");
    };
    // The evidence is re-derived from the log, so the edit is the only
    // difference: the scores were computed from the true value.
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0].field, "features.cash_withdrawal_share");
    assert!(diffs[0].recorded.starts_with("0.123456"), "{:?}", diffs[0]);

    let report = verify(&db.pool, &VerifyOptions::default(), quiet())
        .await
        .expect("verify");
    assert_eq!(report.summary.mismatched, 1);
    assert_eq!(report.mismatches[0].decision_id, id);
    assert_eq!(report.mismatches[0].verdict, Verdict::Mismatch(diffs));
}

#[tokio::test]
async fn an_edited_trigger_or_model_is_named() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 12).await;

    // The evidence: the triggering transaction's amount, changed in place.
    let row = sqlx::query(
        "SELECT payload->'RiskAssessed'->'assessment'->>'decision_id' AS id, aggregate_id, \
                (payload->'RiskAssessed'->'assessment'->'trigger'->>'sequence')::bigint AS trigger \
         FROM events WHERE event_type = 'RiskAssessed' \
           AND payload->'RiskAssessed'->'assessment'->'trigger'->>'event_type' = 'TransactionRecorded' \
         ORDER BY global_position LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("a decision triggered by a transaction");
    let (id, customer, trigger): (String, String, i64) =
        (row.get("id"), row.get("aggregate_id"), row.get("trigger"));
    tamper(
        &db.pool,
        &format!(
            "UPDATE events SET payload = jsonb_set(payload, '{{TransactionRecorded,amount_minor}}', \
               to_jsonb((payload->'TransactionRecorded'->>'amount_minor')::bigint * 50)) \
             WHERE aggregate_id = '{customer}' AND sequence = {trigger}"
        ),
    )
    .await;
    let r = replay_decision(&db.pool, &ModelCache::new(), &id)
        .await
        .expect("replay");
    let Verdict::Mismatch(diffs) = r.verdict else {
        panic!("a decision on edited evidence replayed to a match");
    };
    assert!(
        diffs.iter().any(|d| d.field.starts_with("features.")),
        "{diffs:?}"
    );

    // The model: its intercept changed in the stored bytes (still valid JSON).
    let version: String = scalar(&db.pool, "SELECT version FROM model_registry").await;
    sqlx::query(
        "UPDATE model_registry \
         SET canonical = regexp_replace(canonical, '\"intercept\":-?', '\"intercept\":-1') \
         WHERE version = $1",
    )
    .bind(&version)
    .execute(&db.pool)
    .await
    .expect("edit the registry");
    let report = verify(&db.pool, &VerifyOptions::default(), quiet())
        .await
        .expect("verify");
    assert_eq!(report.summary.matched, 0);
    for m in &report.mismatches {
        let Verdict::Mismatch(diffs) = &m.verdict else {
            panic!("listed as a mismatch");
        };
        let model = diffs
            .iter()
            .find(|d| d.field == "model_version")
            .expect("named");
        assert!(model.replayed.contains("damaged"), "{model:?}");
    }
}
