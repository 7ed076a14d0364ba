//! How far behind each projection is: the latency from an event being stored
//! to it being projected (recent samples, for percentiles), and how many
//! committed events it has still to read.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

const SAMPLES: usize = 10_000;

/// Upper bounds (seconds) of the decision-recording latency histogram.
pub const DECISION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// A cumulative histogram over [`DECISION_BUCKETS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecisionLatency {
    /// Observations at or below each bound.
    pub buckets: [u64; 12],
    /// Sum of the observations (seconds).
    pub sum: f64,
    /// Observations.
    pub count: u64,
}

/// Recent commit-to-projected latencies per projection.
#[derive(Default)]
pub struct LagTracker {
    samples: Mutex<BTreeMap<&'static str, VecDeque<f64>>>,
    /// Latencies recorded since start: how many, and their sum (ms).
    totals: Mutex<BTreeMap<&'static str, (u64, f64)>>,
    /// From a decision being asked for to it being recorded.
    decisions: Mutex<DecisionLatency>,
}

/// Latency percentiles of one projection, in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LagSummary {
    /// Samples summarised.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Worst.
    pub max_ms: f64,
    /// Latencies recorded since start (not only the recent ones).
    pub total: u64,
    /// Their sum.
    pub total_ms: f64,
}

impl LagTracker {
    /// Records latencies (ms) of one applied batch.
    pub fn record(&self, projection: &'static str, latencies_ms: impl IntoIterator<Item = f64>) {
        let (mut count, mut sum) = (0_u64, 0.0);
        if let Ok(mut map) = self.samples.lock() {
            let q = map.entry(projection).or_default();
            for l in latencies_ms {
                if q.len() == SAMPLES {
                    q.pop_front();
                }
                q.push_back(l);
                count += 1;
                sum += l;
            }
        }
        if let Ok(mut totals) = self.totals.lock() {
            let t = totals.entry(projection).or_default();
            t.0 += count;
            t.1 += sum;
        }
    }

    /// Percentiles over the recent samples of `projection`.
    pub fn summary(&self, projection: &str) -> Option<LagSummary> {
        let map = self.samples.lock().ok()?;
        let mut v: Vec<f64> = map.get(projection)?.iter().copied().collect();
        if v.is_empty() {
            return None;
        }
        drop(map);
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        let (total, total_ms) = self
            .totals
            .lock()
            .ok()
            .and_then(|t| t.get(projection).copied())
            .unwrap_or_default();
        Some(LagSummary {
            samples: v.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            total,
            total_ms,
        })
    }

    /// Records how long decisions waited in the outbox before they were
    /// recorded (seconds).
    pub fn record_decisions(&self, seconds: impl IntoIterator<Item = f64>) {
        if let Ok(mut h) = self.decisions.lock() {
            for s in seconds {
                for (b, bound) in h.buckets.iter_mut().zip(DECISION_BUCKETS) {
                    if s <= bound {
                        *b += 1;
                    }
                }
                h.sum += s;
                h.count += 1;
            }
        }
    }

    /// The decision-recording latency histogram so far.
    pub fn decisions(&self) -> DecisionLatency {
        self.decisions.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Forgets the samples (between benchmark phases).
    pub fn clear(&self) {
        if let Ok(mut map) = self.samples.lock() {
            map.clear();
        }
        if let Ok(mut totals) = self.totals.lock() {
            totals.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_samples() {
        let t = LagTracker::default();
        t.record("p", (1..=100).map(f64::from));
        let s = t.summary("p").expect("samples");
        assert_eq!(
            (s.samples, s.p50_ms, s.p99_ms, s.max_ms),
            (100, 51.0, 99.0, 100.0)
        );
        assert!(t.summary("other").is_none());
    }
}
