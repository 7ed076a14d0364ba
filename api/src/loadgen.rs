//! `early-risk loadgen`: a load generator that runs as its own process and
//! talks HTTP to a running server, so ingest figures include the network
//! stack, the JSON and the server's own scheduling — not in-process calls.
//!
//! It registers `--customers` customers, then for `--seconds` keeps
//! `--concurrency` connections busy with single-transaction posts or batch
//! posts, and prints one JSON object with throughput and latency percentiles.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};

/// What to send.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `POST /v1/customers/{id}/transactions`, one transaction a request.
    Single,
    /// `POST /v1/transactions:batch` with `--batch-size` items a request.
    Batch,
}

/// Load options.
#[derive(clap::Args, Clone, Debug)]
pub struct LoadArgs {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// What to send.
    #[arg(long, value_enum, default_value = "single")]
    pub mode: Mode,
    /// Requests in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long to send.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Customers to spread transactions over.
    #[arg(long, default_value_t = 1_000)]
    pub customers: usize,
    /// Items per batch request.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Requests per second for all workers together (0 = as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Each worker sends only its own slice of the customers, as a bank's
    /// feeds sharded by account would; without it every worker draws from
    /// all customers, and concurrent batches queue on the customers they
    /// share (a batch locks its streams for its whole transaction).
    #[arg(long)]
    pub partition: bool,
    /// Prefix for customer and transaction ids (distinct runs, distinct ids).
    #[arg(long, default_value = "LOAD")]
    pub prefix: String,
    /// Bearer token with the `ingest` role (`early-risk users token`).
    #[arg(long, env = "EARLY_RISK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Measured figures.
#[derive(Debug, Serialize)]
pub struct LoadReport {
    /// Mode.
    pub mode: Mode,
    /// Connections.
    pub concurrency: usize,
    /// Seconds measured.
    pub seconds: f64,
    /// Successful requests.
    pub requests: u64,
    /// Failed requests (non-2xx or transport errors).
    pub errors: u64,
    /// Events (transactions) acknowledged.
    pub events: u64,
    /// Successful requests per second.
    pub requests_per_sec: f64,
    /// Events per second.
    pub events_per_sec: f64,
    /// Latency percentiles in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Worst.
    pub max_ms: f64,
}

/// Mostly grocery purchases; every 7th a large cash withdrawal, so some
/// customers' risk escalates and decisions are recorded under load.
fn transaction(prefix: &str, n: u64, customer: usize) -> Value {
    let cash = n.is_multiple_of(7);
    json!({"transaction_id": format!("{prefix}-T{n}"),
        "amount_minor": if cash { 2_000_000 } else { 1_000 + (n % 5_000) as i64 },
        "currency": "INR", "kind": if cash { "cash_withdrawal" } else { "purchase" },
        "merchant_category_code": if cash { None } else { Some("5411") },
        "merchant_name": "Load Mart", "channel": if cash { "atm" } else { "pos" },
        "occurred_at": format!("2026-06-{:02}T10:00:00Z", 1 + customer % 28)})
}

/// Registers the customers (idempotent), then runs the load.
pub async fn run(args: &LoadArgs) -> anyhow::Result<LoadReport> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = &args.token {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .tcp_nodelay(true)
        .default_headers(headers)
        .build()?;
    register(&client, args).await?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let per_worker_gap =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(args.concurrency as f64 / args.rate));
    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            let (client, args, counter) = (client.clone(), args.clone(), counter.clone());
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(w as u64);
                let slice = if args.partition {
                    let per = (args.customers / args.concurrency).max(1);
                    let lo = (w * per).min(args.customers - 1);
                    lo..(lo + per).min(args.customers)
                } else {
                    0..args.customers
                };
                let (mut lat, mut errors, mut events) = (Vec::new(), 0u64, 0u64);
                let mut next = Instant::now();
                while Instant::now() < deadline {
                    if let Some(gap) = per_worker_gap {
                        // Open-loop pacing: wait for this worker's next slot.
                        tokio::time::sleep_until(next.into()).await;
                        next += gap;
                    }
                    let (url, body, n_events) = match args.mode {
                        Mode::Single => {
                            let c = rng.gen_range(slice.clone());
                            let n = counter.fetch_add(1, Ordering::Relaxed);
                            (format!("{}/v1/customers/{}-C{c}/transactions", args.url, args.prefix),
                             transaction(&args.prefix, n, c), 1)
                        }
                        Mode::Batch => {
                            let items: Vec<Value> = (0..args.batch_size).map(|_| {
                                let c = rng.gen_range(slice.clone());
                                let n = counter.fetch_add(1, Ordering::Relaxed);
                                let mut t = transaction(&args.prefix, n, c);
                                t["customer_id"] = json!(format!("{}-C{c}", args.prefix));
                                t
                            }).collect();
                            (format!("{}/v1/transactions:batch", args.url), json!({"items": items}), args.batch_size as u64)
                        }
                    };
                    let t0 = Instant::now();
                    let ok = matches!(client.post(&url).json(&body).send().await, Ok(r) if r.status().is_success());
                    lat.push(t0.elapsed().as_micros() as u64);
                    if ok { events += n_events } else { errors += 1 }
                }
                (lat, errors, events)
            })
        })
        .collect();
    let (mut lat, mut errors, mut events) = (Vec::new(), 0, 0);
    for w in workers {
        let (l, e, n) = w.await.context("load worker")?;
        lat.extend(l);
        errors += e;
        events += n;
    }
    let seconds = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |us| *us as f64 / 1_000.0)
    };
    let requests = lat.len() as u64 - errors;
    Ok(LoadReport {
        mode: args.mode,
        concurrency: args.concurrency,
        seconds,
        requests,
        errors,
        events,
        requests_per_sec: requests as f64 / seconds,
        events_per_sec: events as f64 / seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    })
}

async fn register(client: &reqwest::Client, args: &LoadArgs) -> anyhow::Result<()> {
    let chunks: Vec<Vec<usize>> = (0..args.customers)
        .collect::<Vec<_>>()
        .chunks(args.customers.div_ceil(8).max(1))
        .map(<[usize]>::to_vec)
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (client, args) = (client.clone(), args.clone());
            tokio::spawn(async move {
                for c in chunk {
                    let body = json!({"customer_id": format!("{}-C{c}", args.prefix), "name": format!("Load Customer {c}"),
                        "phone": format!("+91{:010}", 9_000_000_000u64 + c as u64), "credit_limit_minor": 50_000_000,
                        "currency": "INR", "opened_at": "2026-01-01T00:00:00Z"});
                    let resp = client.post(format!("{}/v1/customers", args.url)).json(&body).send().await?;
                    anyhow::ensure!(resp.status().is_success(), "registering customer {c}: {}", resp.status());
                }
                Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await.context("registration worker")??;
    }
    Ok(())
}
