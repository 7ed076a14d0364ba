//! Shared state of the fake: recorded messages, limits, error injection.
//!
//! A `std::sync::Mutex` is enough: critical sections are short and never
//! span an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::FakeConfig;

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedMessage {
    /// The `wamid.` returned.
    pub wamid: String,
    /// `to` as received.
    pub to: String,
    /// Template name.
    pub template: String,
    /// Template language code.
    pub language: String,
    /// Body parameters.
    pub params: Vec<String>,
    /// `biz_opaque_callback_data`, when sent.
    pub callback_data: Option<String>,
    /// When the fake accepted it (wall clock, to compare with commit times).
    pub received_at: std::time::SystemTime,
    /// The exact JSON body received.
    pub raw: serde_json::Value,
}

/// Lock, recovering from poisoning (a panicked test must not cascade).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Per-recipient token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Mutable state.
#[derive(Debug)]
pub(crate) struct Inner {
    pub messages: Vec<RecordedMessage>,
    pub injected: VecDeque<i64>,
    pub down: bool,
    /// An outage window: down until then.
    pub down_until: Option<Instant>,
    pub response_delay: std::time::Duration,
    pub callbacks_delivered: usize,
    pub rng: StdRng,
    recent: VecDeque<Instant>,
    buckets: HashMap<String, Bucket>,
}

/// Config plus state, shared by handlers and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: FakeConfig,
    pub inner: Mutex<Inner>,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn new(config: FakeConfig) -> Self {
        let inner = Inner {
            messages: Vec::new(),
            injected: VecDeque::new(),
            down: false,
            down_until: None,
            response_delay: std::time::Duration::ZERO,
            callbacks_delivered: 0,
            rng: StdRng::seed_from_u64(config.seed),
            recent: VecDeque::new(),
            buckets: HashMap::new(),
        };
        Self {
            config,
            inner: Mutex::new(inner),
            http: reqwest::Client::new(),
        }
    }
}

impl Inner {
    /// Whether the API is down now (switched off, or inside an outage window).
    pub fn is_down(&self, now: Instant) -> bool {
        self.down || self.down_until.is_some_and(|until| now < until)
    }

    /// A fresh `wamid.` id from the seeded RNG.
    pub fn next_wamid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.gen();
        format!("wamid.HBgM{}", hex::encode_upper(bytes))
    }

    /// Whether one more message fits the business-number throughput.
    pub fn throughput_ok(&mut self, config: &FakeConfig, now: Instant) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= config.throughput_window)
        {
            self.recent.pop_front();
        }
        self.recent.len() < config.throughput as usize
    }

    /// Count an accepted message against the throughput window.
    pub fn record_throughput(&mut self, now: Instant) {
        self.recent.push_back(now);
    }

    /// Take one token from `to`'s bucket; false means 131056.
    pub fn take_recipient_token(&mut self, config: &FakeConfig, to: &str, now: Instant) -> bool {
        let burst = f64::from(config.per_recipient_burst);
        let bucket = self.buckets.entry(to.to_string()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let interval = config.per_recipient_interval.as_secs_f64();
        if interval > 0.0 {
            let refill = now.duration_since(bucket.last).as_secs_f64() / interval;
            bucket.tokens = (bucket.tokens + refill).min(burst);
        } else {
            bucket.tokens = burst;
        }
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
