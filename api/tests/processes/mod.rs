//! Running the real `early-risk serve` binary for the process-level suites
//! (crash recovery, two processes at once): starting it against a test
//! database and the WhatsApp fake, retrying writes until acknowledged,
//! waiting for the read side and alerts to settle, and the checks every such
//! run ends with.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};
use whatsapp::fake::FakeHandle;

use super::common::TEST_SECRET;

/// The app secret the fake signs its status webhooks with.
pub const APP_SECRET: &str = "process-app-secret";

/// The demo artifact written once to a file `MODEL_ARTIFACT` can name.
fn demo_model_file() -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo-model-{}.json", std::process::id()));
    if !path.exists() {
        let json = serde_json::to_string(&domain::risk::demo_artifact()).expect("json");
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
        std::fs::write(&tmp, json).expect("write demo model");
        std::fs::rename(&tmp, &path).expect("place demo model");
    }
    path
}

/// One `early-risk serve` process's settings.
pub struct Server {
    /// Listen port.
    pub port: u16,
    /// `DATABASE_URL`.
    pub db_url: String,
    /// The WhatsApp fake's base URL.
    pub fake_url: String,
    /// Where its stderr goes.
    pub log: std::path::PathBuf,
}

impl Server {
    /// Starts the process.
    pub fn start(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        Command::new(env!("CARGO_BIN_EXE_early-risk"))
            .arg("serve")
            .env("DATABASE_URL", &self.db_url)
            .env("BIND_ADDR", format!("127.0.0.1:{}", self.port))
            .env(
                "JWT_SECRET_KEY",
                String::from_utf8_lossy(TEST_SECRET).as_ref(),
            )
            .env("WHATSAPP_TOKEN", "fake-token")
            .env("WHATSAPP_PHONE_ID", "106500000000")
            .env("WHATSAPP_BASE_URL", &self.fake_url)
            .env("WHATSAPP_APP_SECRET", APP_SECRET)
            // A send claimed when the process died waits this long for a
            // status webhook before it is sent again. The fake's webhooks
            // arrive within milliseconds, so a message that did go out is
            // settled by its webhook, never resent; one that never left is
            // sent after 3 s instead of the production 5 minutes.
            .env("ALERT_RECONCILE_SECONDS", "3")
            // The load's facts are dated early 2026: no age limit here.
            .env("ALERT_MAX_AGE", "off")
            // Nor a budget: the load's portfolio is days old at its decisions.
            .env("ALERT_FALSE_ALARM_BUDGET", "1")
            // The hand-set demo model, whose rules make a 96 % purchase
            // High: these tests are about delivery, not about the model.
            .env("MODEL_ARTIFACT", demo_model_file())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start early-risk serve")
    }

    /// Its base URL.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Waits until `ok`, failing the test after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut ok: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !ok().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Sends `body` until the server acknowledges it (connection errors, 503
/// and 409 are retried with the same id, as a bank's client would).
pub async fn until_acknowledged(client: &reqwest::Client, url: &str, body: &Value) {
    loop {
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) if matches!(r.status().as_u16(), 503 | 409) => {}
            Ok(r) => panic!(
                "{url}: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(_) => {} // killed or restarting
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A table's rows as text, in `order`.
pub async fn dump(pool: &sqlx::PgPool, table: &str, order: &str) -> String {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '') FROM {table} t"
    ))
    .fetch_one(pool)
    .await
    .expect("dump")
}

/// One number from SQL.
pub async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Whether `/healthz` answers 200.
pub async fn healthy(base: String) -> bool {
    reqwest::get(format!("{base}/healthz"))
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// Waits until everything is quiet: every process's read side has caught
/// up, no decision waits to be recorded, no alert to be sent — and no event
/// was appended while this was being checked (a decision recorded between
/// two of the checks would otherwise look settled before its alert exists).
/// "No event appended" compares the number of events as well as the largest
/// position: positions are handed out before commit, so an event with a
/// lower position than the largest can commit late and leave the maximum
/// unchanged.
pub async fn wait_settled(pool: &sqlx::PgPool, bases: &[String]) {
    wait_until(
        "the read side and alerts to settle",
        Duration::from_secs(180),
        || {
            let (pool, bases) = (pool.clone(), bases.to_vec());
            async move {
                let head = || async {
                    sqlx::query_as::<_, (i64, i64)>(
                        "SELECT count(*), coalesce(max(global_position), 0) FROM events",
                    )
                    .fetch_one(&pool)
                    .await
                    .expect("head")
                };
                let before = head().await;
                let pending_decisions =
                    "SELECT count(*) FROM decision_outbox WHERE last_error IS NULL";
                let pending_alerts = "SELECT count(*) FROM alert_outbox WHERE state = 'pending'";
                let raised = "SELECT count(*) FROM events WHERE event_type = 'AlertRaised'";
                let quiet = count(&pool, pending_decisions).await == 0
                    && count(&pool, pending_alerts).await == 0
                    && count(&pool, raised).await
                        == count(&pool, "SELECT count(*) FROM alert_outbox").await;
                if !quiet {
                    return false;
                }
                for base in bases {
                    let ready: Value = match reqwest::get(format!("{base}/readyz")).await {
                        Ok(r) => r.json().await.unwrap_or(Value::Null),
                        Err(_) => return false,
                    };
                    let caught_up = ready["projections"]
                        .as_array()
                        .is_some_and(|p| p.iter().all(|p| p["events_behind"] == 0));
                    if !caught_up {
                        return false;
                    }
                }
                head().await == before
            }
        },
    )
    .await;
}

/// What a run ended with.
pub struct Outcome {
    /// Acknowledged transactions (each found exactly once).
    pub transactions: usize,
    /// Decisions recorded (none twice).
    pub decisions: i64,
    /// Alerts raised.
    pub alerts_due: usize,
    /// Distinct alerts the fake received.
    pub alerts_delivered: usize,
    /// Messages beyond one per alert.
    pub alerts_duplicated: usize,
}

/// The checks every run ends with (the processes must be stopped): every
/// acknowledged transaction exactly once and nothing else; no decision
/// twice; every due alert at the fake exactly once; the views equal a clean
/// rebuild from the log.
pub async fn check_outcome(
    pool: &sqlx::PgPool,
    fake: &FakeHandle,
    mut acknowledged: Vec<String>,
) -> Outcome {
    let pool = pool.clone();
    // Every acknowledged transaction exactly once, nothing else.
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload -> 'TransactionRecorded' ->> 'transaction_id', count(*) FROM events \
         WHERE event_type = 'TransactionRecorded' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("transactions");
    assert!(
        stored.iter().all(|(_, n)| *n == 1),
        "a transaction stored twice"
    );
    let mut stored_ids: Vec<String> = stored.into_iter().map(|(id, _)| id).collect();
    acknowledged.sort();
    stored_ids.sort();
    assert_eq!(stored_ids, acknowledged, "acknowledged = stored");

    // No decision twice.
    let twice = count(
        &pool,
        "SELECT count(*) FROM (SELECT payload -> 'RiskAssessed' -> 'assessment' ->> 'decision_id' \
         FROM events WHERE event_type = 'RiskAssessed' GROUP BY 1 HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(twice, 0, "a decision recorded twice");
    let decisions = count(
        &pool,
        "SELECT count(*) FROM events WHERE event_type = 'RiskAssessed'",
    )
    .await;

    // Every due alert reached WhatsApp exactly once.
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT payload -> 'AlertRaised' ->> 'alert_id' FROM events \
         WHERE event_type = 'AlertRaised' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("alerts");
    let sent = fake.messages();
    let mut delivered: Vec<String> = sent
        .iter()
        .filter_map(|m| m.callback_data.clone())
        .collect();
    delivered.sort();
    let duplicates = delivered.len() - {
        let mut d = delivered.clone();
        d.dedup();
        d.len()
    };
    let outcome = Outcome {
        transactions: stored_ids.len(),
        decisions,
        alerts_due: due.len(),
        alerts_delivered: delivered.len() - duplicates,
        alerts_duplicated: duplicates,
    };
    assert!(!due.is_empty(), "the load made alerts due");
    assert_eq!(duplicates, 0, "an alert was sent twice");
    delivered.dedup();
    assert_eq!(delivered, due, "every due alert delivered once");

    // The views equal a clean rebuild from the log.
    let views = [
        ("customer_overview", "customer_id"),
        ("customer_transactions", "customer_id, sequence"),
        ("customer_statements", "customer_id, period"),
        ("customer_corrections", "customer_id, sequence"),
    ];
    let mut before = Vec::new();
    for (table, order) in views {
        before.push(dump(&pool, table, order).await);
    }
    use projections::views::activity::CustomerActivity;
    use projections::views::overview::CustomerOverview;
    projections::rebuild::rebuild(&pool, &CustomerOverview, 1_000, false)
        .await
        .expect("rebuild overview");
    projections::rebuild::rebuild(&pool, &CustomerActivity, 1_000, false)
        .await
        .expect("rebuild activity");
    for ((table, order), was) in views.iter().zip(before) {
        assert_eq!(
            dump(&pool, table, order).await,
            was,
            "{table} differs from a rebuild"
        );
    }
    outcome
}
