//! The database becomes unreachable mid-load and comes back: the app talks
//! to PostgreSQL through a TCP proxy this test can cut (every open
//! connection dropped, new ones closed at once) and restore. While cut,
//! writes answer 503 problem details with `Retry-After` within the pool's
//! acquire timeout (no 500, no hang) and `/readyz` is 503; once restored,
//! everything resumes by itself, and every write a client retried until it
//! was acknowledged is in the log exactly once.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long any one awaited condition may take before the test fails
/// (generous: CI is a slow machine).
const PATIENCE: Duration = Duration::from_secs(60);

/// A TCP proxy in front of PostgreSQL that can be cut and restored.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    /// Connections are accepted and then never answered (a host that
    /// swallows packets), instead of refused.
    silent: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let silent = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (flag, quiet, open) = (up.clone(), silent.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    if quiet.load(Ordering::SeqCst) {
                        // Held open, never answered.
                        let held = tokio::spawn(async move {
                            let _client = client;
                            std::future::pending::<()>().await;
                        });
                        open.lock().unwrap_or_else(|p| p.into_inner()).push(held);
                    } else {
                        drop(client); // unreachable: closed at once
                    }
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                open.lock().unwrap_or_else(|p| p.into_inner()).push(link);
            }
        });
        Self {
            addr,
            up,
            silent,
            links,
        }
    }

    /// Drops every open connection; new ones are accepted and never answered.
    fn silence(&self) {
        self.silent.store(true, Ordering::SeqCst);
        self.cut();
    }

    /// Drops every open connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn record(client: &reqwest::Client, base: &str, id: &str) -> reqwest::Response {
    client
        .post(format!("{base}/v1/customers/C-1/transactions"))
        .json(&transaction(id, 100))
        .send()
        .await
        .expect("an answer, never a dropped connection")
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_and_work_resumes_with_nothing_lost() {
    let app = spawn_app().await;
    app.register("C-1").await;
    let options: sqlx::postgres::PgConnectOptions = app.db.url.parse().expect("url");
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start(upstream.clone()).await;
    let proxied_url = app.db.url.replacen(&upstream, &proxy.addr.to_string(), 1);
    assert_ne!(proxied_url, app.db.url, "the URL names {upstream}");
    let pool = store::db::connect(&proxied_url, 8).await.expect("pool");
    let base = serve(api::http::AppState::new(pool).with_auth(&test_auth())).await;
    let client = app.client.clone();
    assert_eq!(record(&client, &base, "T-before").await.status(), 201);

    // Arrange: writers that keep writing new transactions, each retried
    // until acknowledged, running through the cut.
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writers: Vec<JoinHandle<(Vec<String>, u32)>> = (0..4)
        .map(|w| {
            let (client, base) = (client.clone(), base.clone());
            let (stop, acks) = (stop.clone(), acks.clone());
            tokio::spawn(async move {
                let (mut acknowledged, mut unavailable) = (Vec::new(), 0u32);
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let id = format!("T-{w}-{i}");
                    loop {
                        let r = record(&client, &base, &id).await;
                        match r.status().as_u16() {
                            200 | 201 => break,
                            503 => {
                                assert!(r.headers().contains_key("retry-after"));
                                unavailable += 1;
                                // Honour Retry-After, scaled down for the test.
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            // A conflict is safe to retry; anything else is a defect.
                            409 => {}
                            s => panic!("{id}: {s} {}", r.text().await.unwrap_or_default()),
                        }
                    }
                    acknowledged.push(id);
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                (acknowledged, unavailable)
            })
        })
        .collect();
    let wait_acks = |at_least: u64| {
        let acks = acks.clone();
        async move {
            let deadline = Instant::now() + PATIENCE;
            loop {
                let acked = acks.load(Ordering::SeqCst);
                if acked >= at_least {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "writers made no progress: {acked} of {at_least} acknowledgements after {PATIENCE:?}"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait_acks(8).await;

    // Act: cut the database.
    proxy.cut();
    let started = Instant::now();
    let r = record(&client, &base, "T-during").await;
    let waited = started.elapsed();
    // Assert: 503 problem with Retry-After, within the acquire timeout.
    assert_eq!(r.status(), 503, "{}", r.text().await.unwrap_or_default());
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.expect("problem");
    assert_eq!(p["status"], 503);
    assert!(waited < Duration::from_secs(12), "no hang: {waited:?}");
    let asked = Instant::now();
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    let answered = asked.elapsed();
    assert_eq!(
        ready.status(),
        503,
        "readyz is red while the database is away"
    );
    assert!(ready.headers().contains_key("retry-after"));
    // Readiness gives up on the database after its own 500 ms budget, so a
    // probe gets its 503 instead of a timeout; the pool alone would take its
    // 5 s acquire timeout. The bound leaves a slow CI machine room for
    // scheduling while still telling the two apart.
    assert!(
        answered < Duration::from_secs(3),
        "readyz took {answered:?}"
    );

    // Act: the database comes back.
    proxy.restore();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = record(&client, &base, "T-during").await.status().as_u16();
        if status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes resume by themselves: still {status} {PATIENCE:?} after the restore"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200, "readyz is green again");
    let resumed_at = acks.load(Ordering::SeqCst);
    wait_acks(resumed_at + 8).await;
    stop.store(true, Ordering::SeqCst);
    let (mut acknowledged, mut unavailable) =
        (vec!["T-before".to_owned(), "T-during".to_owned()], 0);
    for w in writers {
        let (ids, n) = w.await.expect("writer finished");
        acknowledged.extend(ids);
        unavailable += n;
    }

    // Assert: every acknowledged transaction is in the log exactly once.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload -> 'TransactionRecorded' ->> 'transaction_id', count(*) FROM events \
         WHERE event_type = 'TransactionRecorded' GROUP BY 1",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("count");
    let mut stored: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    stored.sort();
    acknowledged.sort();
    assert_eq!(stored, acknowledged, "acknowledged = stored");
    assert!(rows.iter().all(|(_, n)| *n == 1), "{rows:?}");
    assert!(unavailable > 0, "the writers were running through the cut");
    println!(
        "db faults: {} acknowledged writes found once each; {unavailable} answers to the writers were 503 during the cut",
        acknowledged.len()
    );
}

#[tokio::test]
async fn readiness_answers_503_at_once_while_the_database_does_not_answer() {
    let app = spawn_app().await;
    let options: sqlx::postgres::PgConnectOptions = app.db.url.parse().expect("url");
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start(upstream.clone()).await;
    let proxied_url = app.db.url.replacen(&upstream, &proxy.addr.to_string(), 1);
    // A pool holding no connection, with the production acquire timeout:
    // readiness has to open one, to a host that never answers.
    proxy.silence();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(&proxied_url)
        .expect("pool");
    let base = serve(api::http::AppState::new(pool).with_auth(&test_auth())).await;
    let asked = Instant::now();
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    let answered = asked.elapsed();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    // Readiness gives up after its own 500 ms budget (the pool alone would
    // wait 5 s); the bound leaves a slow CI machine room for scheduling
    // while still telling the two apart.
    assert!(
        answered < Duration::from_secs(3),
        "readyz took {answered:?}"
    );
}
