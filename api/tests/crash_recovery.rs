//! Crash recovery of the real binary: `early-risk serve` (API, projection
//! runners, decision recorder, alert dispatcher to the WhatsApp fake, which
//! posts signed status webhooks back) runs under ingest load and is killed
//! with SIGKILL at random points several times, then restarted on the same
//! database. Afterwards:
//! - every acknowledged transaction is in the log exactly once, and nothing
//!   unacknowledged is (clients retry the same id until acknowledged);
//! - the views equal a clean rebuild from the log;
//! - every due alert reached the fake exactly once;
//! - no decision was recorded twice.
//!
//! `CRASH_KILLS` sets the number of kills (default 3; `scripts/fuzz` runs
//! more). The seed of the kill points is printed.

mod common;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use whatsapp::fake::{FakeConfig, FakeWhatsApp, WebhookTarget};

const APP_SECRET: &str = "crash-app-secret";
/// Customers; each of the 3 writers cycles over 8 of them.
const CUSTOMERS: usize = 24;

struct Server {
    port: u16,
    db_url: String,
    fake_url: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(&self) -> Child {
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
            .env(
                "MODEL_ARTIFACT",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts/model.json"),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start early-risk serve")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut ok: F)
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
async fn until_acknowledged(client: &reqwest::Client, url: &str, body: &Value) {
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

async fn dump(pool: &sqlx::PgPool, table: &str, order: &str) -> String {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '') FROM {table} t"
    ))
    .fetch_one(pool)
    .await
    .expect("dump")
}

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let kills: usize = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let seed: u64 = rand::random();
    println!("crash recovery: seed {seed}, {kills} kills");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let app = spawn_app().await; // a migrated database and tokens
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let fake = FakeWhatsApp::start(FakeConfig {
        webhook: Some(WebhookTarget {
            url: format!("http://127.0.0.1:{port}/v1/webhooks/whatsapp"),
            app_secret: APP_SECRET.as_bytes().to_vec(),
        }),
        ..FakeConfig::default()
    })
    .await
    .expect("fake");
    let server = Server {
        port,
        db_url: app.db.url.clone(),
        fake_url: fake.base_url.clone(),
        log: std::env::temp_dir().join(format!("crash-recovery-{}.log", app.db.name)),
    };
    let base = server.base();
    let mut child = server.start();
    let health = |base: String| async move {
        reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    wait_until("the server", Duration::from_secs(60), || {
        health(base.clone())
    })
    .await;

    // Customers with their own phones (WhatsApp paces each recipient).
    let client = app.client.clone();
    for k in 0..CUSTOMERS {
        let mut r = registration(&format!("C-{k:02}"));
        r["phone"] = json!(format!("+9198000001{k:02}"));
        until_acknowledged(&client, &format!("{base}/v1/customers"), &r).await;
    }

    // Writers: small purchases, and once per customer — at a different
    // point of the run for each — 96% of the limit (a High band, so an alert
    // is due), so escalations keep arriving while the process is killed.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (client, base) = (client.clone(), base.clone());
            let (stop, acks) = (stop.clone(), acks.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let (cycle, slot) = (i / 8, i % 8);
                    let k = w + 3 * slot;
                    let id = format!("T-{w}-{i}");
                    let amount = if cycle < 8 && slot == cycle {
                        9_600_000
                    } else {
                        1_000
                    };
                    let mut t = transaction(&id, amount);
                    t["occurred_at"] =
                        json!(format!("2026-02-01T10:{:02}:{:02}Z", (i / 60) % 60, i % 60));
                    let url = format!("{base}/v1/customers/C-{k:02}/transactions");
                    until_acknowledged(&client, &url, &t).await;
                    acknowledged.push(id);
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                acknowledged
            })
        })
        .collect();

    // Kill at random points: after a random number of acknowledgements.
    for _ in 0..kills {
        let target = acks.load(Ordering::SeqCst) + rng.gen_range(5..40);
        let acks = acks.clone();
        wait_until("writes to land", Duration::from_secs(120), || {
            let acks = acks.clone();
            async move { acks.load(Ordering::SeqCst) >= target }
        })
        .await;
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reaped");
        child = server.start();
        wait_until("the restarted server", Duration::from_secs(60), || {
            health(base.clone())
        })
        .await;
    }
    // Past the last customer's escalation (cycle 7 of each writer).
    let resumed = (acks.load(Ordering::SeqCst) + 10).max(3 * 8 * 8);
    wait_until(
        "writes after the last restart",
        Duration::from_secs(120),
        || {
            let acks = acks.clone();
            async move { acks.load(Ordering::SeqCst) >= resumed }
        },
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.expect("writer"));
    }

    // Let the read side, the recorder and the dispatcher finish.
    let pool = app.db.pool.clone();
    wait_until(
        "the read side and alerts to settle",
        Duration::from_secs(180),
        || {
            let (pool, base) = (pool.clone(), base.clone());
            async move {
                let ready: Value = match reqwest::get(format!("{base}/readyz")).await {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(_) => return false,
                };
                let caught_up = ready["projections"]
                    .as_array()
                    .is_some_and(|p| p.iter().all(|p| p["events_behind"] == 0));
                caught_up
                    && count(
                        &pool,
                        "SELECT count(*) FROM decision_outbox WHERE last_error IS NULL",
                    )
                    .await
                        == 0
                    && count(
                        &pool,
                        "SELECT count(*) FROM alert_outbox WHERE state = 'pending'",
                    )
                    .await
                        == 0
                    && count(
                        &pool,
                        "SELECT count(*) FROM events WHERE event_type = 'AlertRaised'",
                    )
                    .await
                        == count(&pool, "SELECT count(*) FROM alert_outbox").await
            }
        },
    )
    .await;
    child.start_kill().expect("stop");
    child.wait().await.expect("reaped");

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
    println!(
        "crash recovery: {kills} kills survived; transactions acknowledged {} / found {}; \
         decisions {decisions}; alerts due {} / delivered {} / duplicated {duplicates}",
        acknowledged.len(),
        stored_ids.len(),
        due.len(),
        delivered.len() - duplicates,
    );
    assert!(!due.is_empty(), "the load made alerts due");
    assert_eq!(duplicates, 0, "an alert was sent twice");
    delivered.dedup();
    assert_eq!(delivered, due, "every due alert delivered once");

    // The views equal a clean rebuild from the log.
    let views = [
        ("customer_overview", "customer_id"),
        ("customer_transactions", "customer_id, sequence"),
        ("customer_statements", "customer_id, period"),
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
}
