//! Pacing of sends: the business number's throughput (messages per second,
//! spread evenly rather than in bursts) and a minimum interval between two
//! messages to the same recipient. Both are per dispatcher process; with
//! several processes, give each its share of the rate — a 130429 or 131056
//! answer is retried anyway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Entries kept before idle recipients are forgotten.
const RECIPIENTS_KEPT: usize = 10_000;

/// Throughput and per-recipient pacing.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next_slot: Mutex<Instant>,
    recipient_interval: Duration,
    last_by_recipient: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// `rate_per_sec` messages per second, one per recipient per
    /// `recipient_interval`.
    pub fn new(rate_per_sec: f64, recipient_interval: Duration) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / rate_per_sec.max(0.001)),
            next_slot: Mutex::new(Instant::now()),
            recipient_interval,
            last_by_recipient: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the next send slot.
    pub async fn throughput_slot(&self) {
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Takes `to`'s turn, or says how long until it comes.
    pub fn take_recipient_turn(&self, to: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut last = self
            .last_by_recipient
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(at) = last.get(to) {
            let free = *at + self.recipient_interval;
            if free > now {
                return Err(free - now);
            }
        }
        if last.len() >= RECIPIENTS_KEPT {
            let horizon = self.recipient_interval;
            last.retain(|_, at| now.duration_since(*at) < horizon);
        }
        last.insert(to.to_owned(), now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_waits_its_interval() {
        let p = Pacer::new(80.0, Duration::from_secs(6));
        assert!(p.take_recipient_turn("+1").is_ok());
        let wait = p.take_recipient_turn("+1").expect_err("too soon");
        assert!(wait > Duration::from_secs(5) && wait <= Duration::from_secs(6));
        assert!(p.take_recipient_turn("+2").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn slots_are_spread_at_the_rate() {
        let p = Pacer::new(80.0, Duration::ZERO);
        let start = Instant::now();
        for _ in 0..81 {
            p.throughput_slot().await;
        }
        // 81 slots at 80/s: the last starts one second after the first.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(999), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1_050), "{elapsed:?}");
    }
}
