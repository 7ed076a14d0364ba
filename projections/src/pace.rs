//! Two shapes the read side's loops share: stepping at most once per
//! interval while work trickles in ([`Pace`]), and doing each customer's
//! items in order with customers side by side ([`per_customer`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

/// The least time between the starts of two steps, unless the last step
/// was full (more is waiting: go on at once).
pub struct Pace {
    interval: Duration,
    last: Option<Instant>,
}

impl Pace {
    /// Steps at most once per `interval` (zero: no pause).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
        }
    }

    /// Waits until the next step is due; false when `shutdown` changed
    /// meanwhile (the caller checks it and stops).
    pub async fn wait(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        if let Some(due) = self.last.map(|at| at + self.interval) {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = shutdown.changed() => return false,
            }
        }
        self.last = Some(Instant::now());
        true
    }

    /// The step just taken was full: the next one need not wait.
    pub fn full(&mut self) {
        self.last = None;
    }
}

/// Runs `work` once per customer over that customer's items, in their
/// order, with customers side by side (so their commands share group
/// commits instead of queueing one by one). Answers in no particular order.
pub async fn per_customer<T, R, F, Fut>(
    items: impl IntoIterator<Item = (String, T)>,
    work: F,
) -> Vec<Result<R, JoinError>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(String, Vec<T>) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let mut by_customer: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (customer, item) in items {
        by_customer.entry(customer).or_default().push(item);
    }
    let mut running = JoinSet::new();
    for (customer, mine) in by_customer {
        running.spawn(work(customer, mine));
    }
    let mut answers = Vec::new();
    while let Some(answer) = running.join_next().await {
        answers.push(answer);
    }
    answers
}
