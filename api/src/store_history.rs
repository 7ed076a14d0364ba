//! The bank's own history read back from the event store, for
//! `early-risk calibrate --from-store`: each customer's behaviour (the facts
//! features are made of, not the decisions and alerts made on them) in
//! stream order, as `training` gets it from replaying a command log.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use store::events::log::{head, read_all};
use store::Checkpoint;
use training::pit::History;

/// Events read per page.
const PAGE: i64 = 10_000;
/// Empty pages tolerated while the log's head, taken at the start, is not
/// yet readable: a transaction elsewhere holds the reading horizon.
const HELD_HORIZON_RETRIES: u32 = 100;

/// Every customer's behaviour events in the store, by customer id, up to
/// at least the log's head when the read began (a partial history would
/// choose a policy on part of the bank's customers, so it is an error).
pub async fn customer_histories(pool: &PgPool) -> anyhow::Result<BTreeMap<String, History>> {
    let end = head(pool).await.context("reading the event log's head")?;
    let mut after = Checkpoint::START;
    let mut streams: BTreeMap<String, Vec<(i64, domain::CustomerEvent)>> = BTreeMap::new();
    let mut retries = 0;
    while after < end {
        let page = read_all(pool, after, PAGE)
            .await
            .context("reading the event log")?;
        let Some(last) = page.last() else {
            retries += 1;
            anyhow::ensure!(
                retries <= HELD_HORIZON_RETRIES,
                "the event log could not be read to its head: a long transaction holds the \
                 reading horizon; try again when it has finished"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        after = last.checkpoint;
        let decoded = projections::projection::customer_events(&page)
            .map_err(|e| anyhow::anyhow!("an event in the store cannot be read: {e}"))?;
        for (recorded, event) in decoded {
            if event.is_behaviour() {
                streams
                    .entry(recorded.aggregate_id.clone())
                    .or_default()
                    .push((recorded.sequence, event));
            }
        }
    }
    Ok(streams
        .into_iter()
        .map(|(id, mut events)| {
            events.sort_by_key(|(sequence, _)| *sequence);
            let events = events.into_iter().map(|(_, e)| e).collect();
            (id, History { events })
        })
        .collect())
}
