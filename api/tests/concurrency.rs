//! Two `early-risk serve` processes on one database at once — two API
//! servers, two sets of projection runners, two decision recorders and two
//! alert dispatchers — while writers hammer the same few customers through
//! both, some sending the very same transaction to both processes at the
//! same moment. Afterwards: every acknowledged transaction is in the log
//! exactly once (a race ends in success after retry, or a clean 409 that is
//! retried), no decision is recorded twice, every due alert reached the
//! WhatsApp fake exactly once although two dispatchers competed for it, the
//! views equal a clean rebuild, and nothing deadlocked (the run finishes).

mod common;
mod processes;

use std::collections::BTreeSet;

use common::*;
use processes::*;
use serde_json::json;
use whatsapp::fake::{FakeConfig, FakeWhatsApp, WebhookTarget};

/// Customers every writer writes to (contention on the same streams).
const CUSTOMERS: usize = 4;
const WRITERS: usize = 6;
const PER_WRITER: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_and_racing_writers_lose_and_duplicate_nothing() {
    let app = spawn_app().await;
    let ports = [free_port(), free_port()];
    let fake = FakeWhatsApp::start(FakeConfig {
        webhook: Some(WebhookTarget {
            url: format!("http://127.0.0.1:{}/v1/webhooks/whatsapp", ports[0]),
            app_secret: APP_SECRET.as_bytes().to_vec(),
        }),
        ..FakeConfig::default()
    })
    .await
    .expect("fake");
    let servers: Vec<Server> = ports
        .iter()
        .map(|&port| Server {
            port,
            db_url: app.db.url.clone(),
            fake_url: fake.base_url.clone(),
            log: std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("concurrency-{}-{port}.log", app.db.name)),
        })
        .collect();
    let mut children: Vec<_> = servers.iter().map(Server::start).collect();
    let bases: Vec<String> = servers.iter().map(Server::base).collect();
    for base in &bases {
        wait_until("a server", std::time::Duration::from_secs(60), || {
            healthy(base.clone())
        })
        .await;
    }
    let client = app.client.clone();
    for k in 0..CUSTOMERS {
        let mut r = registration(&format!("C-{k}"));
        r["phone"] = json!(format!("+9198000002{k:02}"));
        until_acknowledged(&client, &format!("{}/v1/customers", bases[k % 2]), &r).await;
    }

    // Writers: each transaction goes to one process; every fifth is a
    // shared id that two writers send (same body) to different processes
    // at about the same time; each customer's 96% purchase makes an alert due.
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (client, bases) = (client.clone(), bases.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..PER_WRITER {
                    // (customer, id, amount)
                    let (k, id, amount) = if i % 5 == 0 {
                        (i % CUSTOMERS, format!("S-{}-{i}", w / 2), 1_000)
                    } else if i == 11 + w && w < CUSTOMERS {
                        (w, format!("T-{w}-{i}"), 9_600_000)
                    } else {
                        ((w + i) % CUSTOMERS, format!("T-{w}-{i}"), 1_000)
                    };
                    let mut t = transaction(&id, amount);
                    t["occurred_at"] = json!(format!("2026-02-01T10:{:02}:00Z", i % 60));
                    let base = &bases[(w + i) % 2];
                    let url = format!("{base}/v1/customers/C-{k}/transactions");
                    until_acknowledged(&client, &url, &t).await;
                    acknowledged.push(id);
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = BTreeSet::new();
    for w in writers {
        acknowledged.extend(w.await.expect("writer"));
    }

    wait_settled(&app.db.pool, &bases).await;
    for child in &mut children {
        child.start_kill().expect("stop");
        child.wait().await.expect("reaped");
    }
    let o = check_outcome(&app.db.pool, &fake, acknowledged.into_iter().collect()).await;
    // Kept only when the run failed (the panic above skips this).
    for server in &servers {
        let _ = std::fs::remove_file(&server.log);
    }
    assert!(
        o.alerts_due >= CUSTOMERS,
        "every customer escalated: {} alerts",
        o.alerts_due
    );
    println!(
        "concurrency: 2 processes, {WRITERS} writers on {CUSTOMERS} customers; transactions \
         acknowledged / found {} / {}; decisions {}; alerts due {} / delivered {} / duplicated {}",
        o.transactions,
        o.transactions,
        o.decisions,
        o.alerts_due,
        o.alerts_delivered,
        o.alerts_duplicated
    );
}
