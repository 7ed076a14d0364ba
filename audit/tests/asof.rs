//! State as of a moment or a log position, and the decision record: the band
//! in force before and after each decision, the features exactly as the
//! decision saw them, and what followed the decision on the stream.

mod common;

use audit::asof::{state_as_of, Cutoff, Section};
use audit::log::LogEvent;
use audit::record::{customer_decisions, decision_record};
use audit::Checkpoint;
use chrono::{DateTime, Duration, Utc};
use common::*;
use domain::risk::{demo_artifact, Band};
use sqlx::Row;
use store::testing::fresh_database;

/// A decision as the log holds it, read with plain SQL.
struct Stored {
    id: String,
    customer: String,
    sequence: i64,
    band: String,
    recorded_at: DateTime<Utc>,
    checkpoint: Checkpoint,
}

async fn stored_decisions(pool: &sqlx::PgPool) -> Vec<Stored> {
    sqlx::query(
        "SELECT aggregate_id, sequence, recorded_at, payload->'RiskAssessed'->'assessment' AS a \
         FROM events WHERE event_type = 'RiskAssessed' ORDER BY aggregate_id, sequence",
    )
    .fetch_all(pool)
    .await
    .expect("decisions")
    .into_iter()
    .map(|r| {
        let a: serde_json::Value = r.get("a");
        Stored {
            id: a["decision_id"].as_str().expect("id").to_owned(),
            customer: r.get("aggregate_id"),
            sequence: r.get("sequence"),
            band: a["band"].as_str().expect("band").to_owned(),
            recorded_at: r.get("recorded_at"),
            checkpoint: Checkpoint {
                tx_id: a["checkpoint"]["tx_id"].as_u64().expect("tx"),
                position: a["checkpoint"]["position"].as_i64().expect("position"),
            },
        }
    })
    .collect()
}

fn band(name: &str) -> Band {
    serde_json::from_value(serde_json::json!(name)).expect("band")
}

/// Counts the customer's events, to show a section sees the stream.
struct Counter(usize);

impl Section for Counter {
    fn name(&self) -> &'static str {
        "events_seen"
    }
    fn apply(&mut self, _: &LogEvent) {
        self.0 += 1;
    }
    fn render(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }
}

#[tokio::test]
async fn the_band_in_force_before_and_after_each_decision() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 12).await;
    let decisions = stored_decisions(&db.pool).await;
    // A customer whose band changed at least twice.
    let customer = decisions
        .iter()
        .map(|d| d.customer.clone())
        .find(|c| decisions.iter().filter(|d| &d.customer == c).count() >= 2)
        .expect("a customer with two decisions");
    let mine: Vec<&Stored> = decisions
        .iter()
        .filter(|d| d.customer == customer)
        .collect();

    let mut previous = Band::Low;
    for d in &mine {
        // Just before the decision was recorded: the previous band.
        let before = state_as_of(
            &db.pool,
            &customer,
            Cutoff::At(d.recorded_at - Duration::microseconds(1)),
            vec![],
        )
        .await
        .expect("before");
        assert_eq!(before.band, Some(previous), "{} before", d.id);
        // From the moment it was recorded: its band, and it is in force.
        let after = state_as_of(&db.pool, &customer, Cutoff::At(d.recorded_at), vec![])
            .await
            .expect("after");
        assert_eq!(after.band, Some(band(&d.band)), "{} after", d.id);
        assert_eq!(
            after.decision.as_ref().map(|x| x.decision_id.as_str()),
            Some(d.id.as_str())
        );
        previous = band(&d.band);
    }

    // At the decision's checkpoint: exactly the features it recorded, and
    // the decision itself not yet in force.
    let first = mine[0];
    let at_checkpoint = state_as_of(
        &db.pool,
        &customer,
        Cutoff::Position(first.checkpoint.position),
        vec![Box::new(Counter(0))],
    )
    .await
    .expect("at checkpoint");
    assert_eq!(at_checkpoint.last_event, Some(first.checkpoint));
    assert_eq!(at_checkpoint.band, Some(Band::Low));
    let recorded: serde_json::Value = sqlx::query_scalar(
        "SELECT payload->'RiskAssessed'->'assessment'->'features' FROM events \
         WHERE aggregate_id = $1 AND sequence = $2",
    )
    .bind(&customer)
    .bind(first.sequence)
    .fetch_one(&db.pool)
    .await
    .expect("recorded features");
    let features = at_checkpoint.features.expect("features");
    for (name, value) in domain::features::FEATURE_NAMES
        .iter()
        .zip(features.to_vec())
    {
        let stored = recorded[*name].as_f64().expect("number");
        assert_eq!(value.to_bits(), stored.to_bits(), "{name}");
    }
    assert_eq!(
        at_checkpoint.sections["events_seen"],
        serde_json::json!(at_checkpoint.events)
    );
    let by_position: i64 = scalar(
        &db.pool,
        &format!(
            "SELECT count(*) FROM events WHERE aggregate_id = '{customer}' \
             AND (tx_id, global_position) <= ('{}'::xid8, {})",
            first.checkpoint.tx_id, first.checkpoint.position
        ),
    )
    .await;
    assert_eq!(at_checkpoint.events as i64, by_position);

    // Before the customer existed: nothing known yet, and no band.
    let registered_at: DateTime<Utc> = scalar(
        &db.pool,
        &format!("SELECT min(recorded_at) FROM events WHERE aggregate_id = '{customer}'"),
    )
    .await;
    let nothing = state_as_of(
        &db.pool,
        &customer,
        Cutoff::At(registered_at - Duration::seconds(1)),
        vec![],
    )
    .await
    .expect("before registration");
    assert_eq!(
        (
            nothing.events,
            nothing.features,
            nothing.band,
            nothing.known
        ),
        (0, None, None, false)
    );
    assert_eq!(nothing.meaning, "nothing known yet");
}

#[tokio::test]
async fn business_time_counts_a_late_fact_in_its_own_time_and_recording_time_does_not() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 50).await;
    let bus = bus(&db.pool);
    write(&bus, portfolio(3)).await;
    read_side.settle().await;
    let customer = "P001";
    let before_late: DateTime<Utc> = scalar(&db.pool, "SELECT clock_timestamp()").await;
    // A cash withdrawal that happened on 10 March arrives now, late.
    let late: domain::customer::CustomerCommand = serde_json::from_value(serde_json::json!({
        "command": "record_transaction", "data": {
        "transaction_id": "LATE-1", "amount_minor": 40_000, "currency": "INR",
        "kind": "cash_withdrawal", "merchant_category_code": null, "channel": "atm",
        "occurred_at": "2026-03-10T12:00:00Z"}}))
    .expect("command");
    write(
        &bus,
        vec![(
            customer.to_owned(),
            domain::customer::Addressed {
                customer_id: domain::values::CustomerId::parse(customer).expect("id"),
                command: late,
            },
        )],
    )
    .await;
    let t: DateTime<Utc> = "2026-03-20T00:00:00Z".parse().expect("time");

    // Business time: the facts that occurred by 20 March, as known now —
    // the late withdrawal included, the features as of that moment.
    let business = state_as_of(&db.pool, customer, Cutoff::OccurredBy(t), vec![])
        .await
        .expect("business time");
    assert_eq!(business.time, audit::asof::TimeAxis::Business);
    assert!(business.known);
    assert_eq!(business.features_as_of, Some(t));
    let occurred_by: i64 = scalar(
        &db.pool,
        &format!(
            "SELECT count(*) FROM events WHERE aggregate_id = '{customer}' AND \
             coalesce(payload->'TransactionRecorded'->>'occurred_at', payload->'CustomerRegistered'->>'opened_at', \
               payload->'StatementIssued'->>'issued_at', payload->'PaymentRecorded'->>'paid_at', \
               payload->'DaysPastDueReported'->>'as_of', payload->'TransactionReversed'->>'reversed_at', \
               payload->'PaymentReturned'->>'returned_at', payload->'StatementCorrected'->>'corrected_at', \
               payload->'RiskAssessed'->'assessment'->>'as_of')::timestamptz <= '{t}'"
        ),
    )
    .await;
    assert_eq!(business.events as i64, occurred_by);
    let features = business.features.expect("features");
    assert!(features.cash_withdrawal_share > 0.0, "{features:?}");

    // Recording time just before it arrived: the system did not know it.
    let recorded = state_as_of(&db.pool, customer, Cutoff::At(before_late), vec![])
        .await
        .expect("recording time");
    assert_eq!(recorded.time, audit::asof::TimeAxis::Recording);
    let all: i64 = scalar(
        &db.pool,
        &format!("SELECT count(*) FROM events WHERE aggregate_id = '{customer}'"),
    )
    .await;
    assert_eq!(
        recorded.events as i64 + 1,
        all,
        "only the late fact came after"
    );
    assert!(
        recorded.meaning.contains("recording time"),
        "{}",
        recorded.meaning
    );
    assert!(
        business.meaning.contains("business time"),
        "{}",
        business.meaning
    );

    // Business time before the account opened: nothing known yet.
    let early = state_as_of(
        &db.pool,
        customer,
        Cutoff::OccurredBy("2025-12-31T00:00:00Z".parse().expect("time")),
        vec![],
    )
    .await
    .expect("before opening");
    assert_eq!((early.known, early.band, early.events), (false, None, 0));
}

#[tokio::test]
async fn a_decision_record_has_its_trigger_and_what_followed() {
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 12).await;
    let decisions = stored_decisions(&db.pool).await;
    let d = &decisions[0];
    let record = decision_record(&db.pool, &d.id, 1_000)
        .await
        .expect("record");
    assert_eq!(
        (record.customer_id.as_str(), record.sequence),
        (d.customer.as_str(), d.sequence)
    );
    assert_eq!(record.assessment.decision_id, d.id);
    let trigger = record.trigger_event.as_ref().expect("trigger event");
    assert_eq!(trigger.global_position, d.checkpoint.position);
    assert_eq!(record.metadata["actor"], "risk-engine");

    // What followed: every later event of the stream, in order.
    let later: Vec<(i64, String)> = sqlx::query(
        "SELECT sequence, event_type FROM events WHERE aggregate_id = $1 AND sequence > $2 ORDER BY sequence",
    )
    .bind(&d.customer)
    .bind(d.sequence)
    .fetch_all(&db.pool)
    .await
    .expect("later")
    .into_iter()
    .map(|r| (r.get("sequence"), r.get("event_type")))
    .collect();
    assert!(!later.is_empty());
    let listed: Vec<(i64, String)> = record
        .followed_by
        .iter()
        .map(|e| (e.sequence, e.event_type.clone()))
        .collect();
    assert_eq!(listed, later);
    assert!(record.followed_by.iter().all(|e| !e.summary.is_empty()));

    // A limit lists fewer and says how many were left out.
    let short = decision_record(&db.pool, &d.id, 1).await.expect("short");
    assert_eq!(
        (short.followed_by.len(), short.followed_by_omitted),
        (1, later.len() - 1)
    );

    // All of a customer's decisions, oldest first.
    let all = customer_decisions(&db.pool, &d.customer, 0)
        .await
        .expect("all");
    let expected: Vec<&str> = decisions
        .iter()
        .filter(|x| x.customer == d.customer)
        .map(|x| x.id.as_str())
        .collect();
    let got: Vec<&str> = all
        .iter()
        .map(|r| r.assessment.decision_id.as_str())
        .collect();
    assert_eq!(got, expected);
    assert!(matches!(
        decision_record(&db.pool, "nobody:1", 10).await,
        Err(audit::AuditError::NotFound(_))
    ));
}

/// Open alerts as of the cut-off: the extension point with alert events.
struct RaisedAlerts(Vec<String>);

impl Section for RaisedAlerts {
    fn name(&self) -> &'static str {
        "alerts_raised"
    }
    fn apply(&mut self, e: &LogEvent) {
        if let domain::CustomerEvent::AlertRaised(a) = &e.event {
            self.0.push(a.alert_id.to_string());
        }
    }
    fn render(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }
}

#[tokio::test]
async fn alerts_on_the_stream_show_in_records_and_sections_and_change_no_replay() {
    use domain::customer::{
        Addressed, AlertCause, CustomerCommand, RaiseAlert, TemplateParameters, TemplateRef,
    };
    let db = fresh_database().await;
    let read_side = ReadSide::start(&db.pool, demo_artifact(), 7).await;
    decided_portfolio(&db.pool, &read_side, 12).await;
    let d = &stored_decisions(&db.pool).await[0];

    // The alert an escalation would raise, recorded after the decision.
    let before_alert: DateTime<Utc> = scalar(&db.pool, "SELECT max(recorded_at) FROM events").await;
    let raise = RaiseAlert {
        alert_id: domain::values::ExternalId::parse("ALERT-1").expect("id"),
        cause: AlertCause::Manual {
            requested_by: "auditor-test".into(),
            reason: "checking the audit trail".into(),
        },
        template: TemplateRef {
            name: "risk_alert".into(),
            language: "en".into(),
            parameters: TemplateParameters::FirstNameAndHeadline,
        },
        fallback: None,
        raised_at: Utc::now(),
        cooldown_seconds: 0,
        decided_at: None,
        max_age_seconds: None,
        withheld_by_budget: None,
    };
    bus(&db.pool)
        .execute(
            &d.customer,
            Addressed {
                customer_id: domain::values::CustomerId::parse(&d.customer).expect("id"),
                command: CustomerCommand::RaiseAlert(Box::new(raise)),
            },
            &store::Metadata::system("test", "alert"),
        )
        .await
        .expect("alert raised");

    let record = decision_record(&db.pool, &d.id, 1_000)
        .await
        .expect("record");
    let alert = record
        .followed_by
        .iter()
        .find(|e| e.event_type == "AlertRaised")
        .expect("the alert follows the decision");
    assert!(alert.summary.contains("ALERT-1"), "{}", alert.summary);

    let sections = || -> Vec<Box<dyn Section>> { vec![Box::new(RaisedAlerts(Vec::new()))] };
    let then = state_as_of(&db.pool, &d.customer, Cutoff::At(before_alert), sections())
        .await
        .expect("before the alert");
    assert_eq!(then.sections["alerts_raised"], serde_json::json!([]));
    let now = state_as_of(&db.pool, &d.customer, Cutoff::At(Utc::now()), sections())
        .await
        .expect("after the alert");
    assert_eq!(
        now.sections["alerts_raised"],
        serde_json::json!(["ALERT-1"])
    );
    // An alert is not behaviour: the features did not move.
    assert_eq!(now.features, then.features);
    assert_eq!(now.features_as_of, then.features_as_of);

    let report = audit::verify::verify(
        &db.pool,
        &audit::verify::VerifyOptions::default(),
        std::sync::Arc::new(|_| {}),
    )
    .await
    .expect("verify");
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
}
