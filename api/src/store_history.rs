//! The bank's own history read back from the event store, for
//! `early-risk calibrate --from-store`: each customer's behaviour (the facts
//! features are made of, not the decisions and alerts made on them) in
//! stream order, as `training` gets it from replaying a command log.

use std::collections::BTreeMap;

use anyhow::Context;
use sqlx::PgPool;
use store::events::log::{head, read_all};
use store::Checkpoint;
use training::pit::History;

/// Events read per page.
const PAGE: i64 = 10_000;

/// Every customer's behaviour events in the store, by customer id, up to
/// at least the log's head when the read began (taken under the same
/// horizon as the pages, so they reach it at once). A read that stops short
/// of it is an error: a partial history would choose a policy on part of the
/// bank's customers.
pub async fn customer_histories(pool: &PgPool) -> anyhow::Result<BTreeMap<String, History>> {
    let end = head(pool).await.context("reading the event log's head")?;
    let mut after = Checkpoint::START;
    let mut streams: BTreeMap<String, Vec<(i64, domain::CustomerEvent)>> = BTreeMap::new();
    while after < end {
        let page = read_all(pool, after, PAGE)
            .await
            .context("reading the event log")?;
        let Some(last) = page.last() else {
            break;
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
    anyhow::ensure!(
        after >= end,
        "the event log could not be read to its head: a transaction holds the reading horizon; \
         try again when it has finished"
    );
    Ok(streams
        .into_iter()
        .map(|(id, mut events)| {
            events.sort_by_key(|(sequence, _)| *sequence);
            let events = events.into_iter().map(|(_, e)| e).collect();
            (id, History { events })
        })
        .collect())
}
