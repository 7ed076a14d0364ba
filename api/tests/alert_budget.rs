//! The portfolio's alert budget, live: on ten customers opened 200 days
//! before their decisions with a budget of 25 %, the first two rises into
//! High are messaged and the next are recorded as suppressed (`budget`) with
//! the counts; a messaged customer who becomes 30+ days past due frees a
//! place, which goes to the customer waiting longest who is still High; a
//! customer already counted is never withheld. A budget that is not
//! a share in (0, 1] is refused at start-up, naming the variable.

mod alerting;

use std::time::Duration;

use alerting::*;
use alerts::AlertPolicy;
use chrono::{DateTime, SubsecRound, Utc};
use domain::alert_budget::{AlertBudget, Outcomes};
use domain::customer::*;
use whatsapp::fake::FakeConfig;

const LIMIT: Duration = Duration::from_secs(30);
const DAY: i64 = 86_400;

/// A decision at `as_of`: High, or Low when `high` is false.
fn decision(id: &str, as_of: DateTime<Utc>, high: bool) -> CustomerCommand {
    let mut d = high_decision(id, &as_of.to_rfc3339());
    if !high {
        if let CustomerCommand::RecordRiskAssessment(a) = &mut d {
            a.band = domain::risk::Band::Low;
            a.fired_rules.clear();
        }
    }
    d
}

/// Escalation outcomes recorded so far: (customer, event type, payload).
async fn outcomes(h: &Harness) -> Vec<(String, String, serde_json::Value)> {
    sqlx::query_as(
        "SELECT aggregate_id, event_type, payload -> event_type FROM events \
         WHERE event_type IN ('AlertRaised', 'AlertSuppressed') \
           AND payload -> event_type -> 'cause' ->> 'kind' = 'escalation' \
         ORDER BY global_position",
    )
    .fetch_all(&h.db.pool)
    .await
    .expect("outcomes")
}

async fn wait_outcomes(h: &Harness, n: usize) -> Vec<(String, String, serde_json::Value)> {
    wait_for(&format!("{n} escalation outcomes"), LIMIT, || async {
        outcomes(h).await.len() >= n
    })
    .await;
    outcomes(h).await
}

fn kinds(o: &[(String, String, serde_json::Value)]) -> Vec<(&str, &str)> {
    o.iter()
        .map(|(c, t, p)| {
            let what = if t == "AlertRaised" {
                "raised"
            } else {
                p["reason"].as_str().unwrap_or("?")
            };
            (c.as_str(), what)
        })
        .collect()
}

#[tokio::test]
async fn the_budget_withholds_rises_beyond_its_share_and_a_delinquency_frees_a_place() {
    // Arrange: ten customers opened 200 days ago (past the 120-day ramp), a
    // budget of 25 % (2.5 customers: two fit), no cooldown (so a repeat is decided by
    // the budget alone), the default age limit and the wall clock: business
    // times are minutes old.
    let h = harness(FakeConfig::default(), false).await;
    let policy = AlertPolicy {
        budget: AlertBudget::of_share(0.25),
        cooldown: Duration::ZERO,
        ..AlertPolicy::default()
    };
    let runtime = h.start_alerts(policy, quick_dispatch(), h.cloud(Duration::from_secs(5)));
    let base = Utc::now().trunc_subsecs(0) - chrono::Duration::minutes(30);
    let opened = base - chrono::Duration::days(200);
    for n in 0..10 {
        h.register_opened(&format!("B-{n}"), n, opened).await;
    }
    let at = |minutes: i64| base + chrono::Duration::minutes(minutes);

    // Act 1: four customers rise into High, one after the other.
    for n in 0..4 {
        h.execute(
            &format!("B-{n}"),
            decision(&format!("B-{n}:1"), at(n), true),
        )
        .await;
    }
    let o = wait_outcomes(&h, 4).await;

    // Assert 1: two messaged, two withheld with the counts they were withheld at.
    assert_eq!(
        kinds(&o),
        [
            ("B-0", "raised"),
            ("B-1", "raised"),
            ("B-2", "budget"),
            ("B-3", "budget")
        ]
    );
    for (i, (_, _, p)) in o.iter().enumerate().skip(2) {
        assert_eq!(
            p["budget"],
            serde_json::json!({
                "customers": 10,
                "delinquent": 0,
                "messaged_not_delinquent": 2,
                "seconds_open": 200 * DAY + 60 * i as i64,
            }),
            "{p}"
        );
        assert!(p["previous_alert_id"].is_null(), "{p}");
    }

    // Act 2: B-0 becomes 30 days past due; then B-4 rises.
    h.execute(
        "B-0",
        CustomerCommand::ReportDaysPastDue(ReportDaysPastDue {
            days_past_due: 30,
            as_of: at(5),
        }),
    )
    .await;
    h.execute("B-4", decision("B-4:1", at(6), true)).await;
    let o = wait_outcomes(&h, 6).await;

    // Assert 2: B-0's place went to the customer waiting longest, B-2, at the
    // moment it was freed and under an alert id of its own; B-4 waits (B-1
    // and B-2 counted, 2.25 allowed of the nine not delinquent).
    assert_eq!(kinds(&o)[4..], [("B-2", "raised"), ("B-4", "budget")]);
    assert_eq!(o[4].2["raised_at"], serde_json::json!(at(5)), "{}", o[4].2);
    assert_ne!(o[4].2["alert_id"], o[2].2["alert_id"]);
    assert_eq!(o[5].2["budget"]["messaged_not_delinquent"], 2);

    // Act 3: the budget is full (B-1, B-2). B-1, already counted, falls to
    // Low and rises again; then B-5 rises.
    h.execute("B-1", decision("B-1:2", at(7), false)).await;
    h.execute("B-1", decision("B-1:3", at(8), true)).await;
    h.execute("B-5", decision("B-5:1", at(9), true)).await;
    let o = wait_outcomes(&h, 8).await;

    // Assert 3: a repeat to a customer already counted costs nothing and is
    // sent; a new customer is withheld, counted against the nine not
    // delinquent.
    assert_eq!(kinds(&o)[6..], [("B-1", "raised"), ("B-5", "budget")]);
    assert_eq!(o[7].2["budget"]["delinquent"], 1);
    assert_eq!(o[7].2["budget"]["messaged_not_delinquent"], 2);

    // Act 4: B-3, waiting since before B-4, falls to Low; then B-1 becomes
    // delinquent, which frees a place (2.0 allowed of eight, B-2 counted).
    h.execute("B-3", decision("B-3:2", at(10), false)).await;
    h.execute(
        "B-1",
        CustomerCommand::ReportDaysPastDue(ReportDaysPastDue {
            days_past_due: 31,
            as_of: at(11),
        }),
    )
    .await;
    let o = wait_outcomes(&h, 9).await;

    // Assert 4: a customer who left High left the queue: the place goes to
    // B-4, and only to B-4 (B-5 still waits).
    assert_eq!(kinds(&o)[8..], [("B-4", "raised")]);
    wait_for("five messages at the fake", LIMIT, || async {
        messages(&h.fake) == 5
    })
    .await;
    runtime.stop().await;
    assert_eq!(outcomes(&h).await.len(), 9, "nothing more was released");
    let mut to: Vec<String> = h.fake.messages().iter().map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, [phone(0), phone(1), phone(1), phone(2), phone(4)]);
    // Withheld alerts are never sent, only recorded.
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await,
        5
    );

    // And the migration's backfill, run over this log, finds the counts the
    // policy kept: an existing deployment starts where a live one stands.
    let kept = budget_rows(&h).await;
    assert_eq!(kept.len(), 10);
    let messaged: Vec<&str> = kept
        .iter()
        .filter(|r| r.3.is_some())
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(
        messaged,
        ["B-0", "B-1", "B-2", "B-4"],
        "only who was let through"
    );
    assert_eq!(kept[0].2, Some(at(5)), "B-0's delinquency");
    assert_eq!(kept[1].3, Some(at(8)), "B-1's latest message");
    assert_eq!(kept[1].4, Some(at(1)), "B-1 warned at its first message");
    assert!(
        kept.iter().all(|r| r.3.is_some() == r.4.is_some()),
        "a warning for every customer messaged"
    );
    sqlx::query("DELETE FROM alert_budget_customers")
        .execute(&h.db.pool)
        .await
        .expect("empty the table");
    let migration = include_str!("../../migrations/20261203000016_alert_budget.sql");
    let backfill = &migration[migration
        .find("-- An existing deployment")
        .expect("the backfill part")..];
    sqlx::raw_sql(backfill)
        .execute(&h.db.pool)
        .await
        .expect("backfill");
    let warned = include_str!("../../migrations/20261204000018_alert_budget_warned_at.sql");
    let warned = &warned[warned.find("UPDATE").expect("the backfill part")..];
    sqlx::raw_sql(warned)
        .execute(&h.db.pool)
        .await
        .expect("backfill the warnings");
    assert_eq!(budget_rows(&h).await, kept);
}

type BudgetRow = (
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

async fn budget_rows(h: &Harness) -> Vec<BudgetRow> {
    sqlx::query_as(
        "SELECT customer_id, opened_at, delinquent_at, messaged_at, warned_at \
         FROM alert_budget_customers ORDER BY customer_id",
    )
    .fetch_all(&h.db.pool)
    .await
    .expect("budget rows")
}

#[tokio::test]
async fn a_budget_that_is_not_a_share_in_0_to_1_is_refused_at_start_up() {
    for bad in ["abc", "0", "1.5", "-0.1", "NaN"] {
        let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_early-risk"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("ALERT_FALSE_ALARM_BUDGET", bad)
            .env_remove("WHATSAPP_TOKEN")
            .env("RUST_LOG", "error")
            .kill_on_drop(true)
            .output();
        // A server that started instead would never exit: that is a failure.
        let out = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| panic!("serve started with ALERT_FALSE_ALARM_BUDGET={bad}"))
            .expect("run serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(
            stderr.contains("ALERT_FALSE_ALARM_BUDGET"),
            "the error names the variable for {bad:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn the_live_count_weighs_young_messages_by_what_the_matured_ones_did() {
    // Arrange: the table as a year of messages leaves it (business time,
    // days before `now`): 200 matured messages, 80 of which came true, a
    // message after its customer's delinquency (not an early warning), and
    // 15 young warnings still waiting.
    let h = harness(FakeConfig::default(), false).await;
    let now = Utc::now().trunc_subsecs(0);
    let day = |d: i64| now - chrono::Duration::days(d);
    sqlx::query("DELETE FROM alert_budget_customers")
        .execute(&h.db.pool)
        .await
        .expect("empty the table");
    // (customer, warned, latest message, delinquent)
    type Row = (String, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);
    let mut rows: Vec<Row> = Vec::new();
    for n in 0..40 {
        rows.push((format!("T20-{n}"), day(200), day(200), Some(day(180))));
        rows.push((format!("T100-{n}"), day(200), day(190), Some(day(100))));
    }
    for n in 0..119 {
        rows.push((format!("F-{n}"), day(200), day(200), None));
    }
    // Warned 200 days ago and messaged again since: a matured warning.
    rows.push(("AGAIN".into(), day(200), day(10), None));
    rows.push(("AFTER".into(), day(190), day(190), Some(day(250))));
    for n in 0..10 {
        rows.push((format!("Y50-{n}"), day(50), day(50), None));
    }
    for n in 0..5 {
        rows.push((format!("Y10-{n}"), day(10), day(5), None));
    }
    for (id, warned, messaged, delinquent) in &rows {
        sqlx::query(
            "INSERT INTO alert_budget_customers \
                 (customer_id, opened_at, delinquent_at, messaged_at, warned_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(day(400))
        .bind(delinquent)
        .bind(messaged)
        .bind(warned)
        .execute(&h.db.pool)
        .await
        .expect("row");
    }

    // Act.
    let mut tx = h.db.pool.begin().await.expect("tx");
    let (counts, _) = alerts::budget::counts_at(&mut tx, "Y10-0", now)
        .await
        .expect("counts");

    // Assert: the same weighing the domain does, from the same facts.
    let mut matured = Outcomes::default();
    for _ in 0..40 {
        matured.add(Some(20));
        matured.add(Some(100));
    }
    for _ in 0..120 {
        matured.add(None);
    }
    let expected = matured.expected_true(&[5, 10, 0, 0]);
    assert!(expected > 0.0);
    assert_eq!(counts.expected_to_come_true, expected);
    assert_eq!(counts.messaged_not_delinquent, 120 + 15);
}
