//! cqrs-es's `EventStore` trait over [`PgEventStore`], so the store works
//! behind the library's own machinery too.

use std::collections::{BTreeMap, HashMap};

use cqrs_es::{AggregateError, EventEnvelope, EventStore};
use serde_json::{Map, Value};

use super::{PendingCommit, PgEventStore, StreamContext};
use crate::stream::Stream;

fn metadata_object(map: HashMap<String, String>) -> Map<String, Value> {
    map.into_iter()
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

impl<A: Stream> EventStore<A> for PgEventStore<A> {
    type AC = StreamContext<A>;

    async fn load_events(
        &self,
        id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        Ok(self
            .stream_events(id)
            .await?
            .into_iter()
            .map(|(sequence, payload)| EventEnvelope {
                aggregate_id: id.to_owned(),
                sequence: sequence as usize,
                payload,
                metadata: HashMap::new(),
            })
            .collect())
    }

    async fn load_aggregate(&self, id: &str) -> Result<StreamContext<A>, AggregateError<A::Error>> {
        Ok(self.load(id).await?)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: StreamContext<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let id = context.aggregate_id.clone();
        let first = context.version;
        let envelopes: Vec<EventEnvelope<A>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| EventEnvelope {
                aggregate_id: id.clone(),
                sequence: (first + 1) as usize + i,
                payload: e.clone(),
                metadata: metadata.clone(),
            })
            .collect();
        self.append(vec![PendingCommit {
            context,
            events,
            metadata: metadata_object(metadata),
        }])
        .await?;
        Ok(envelopes)
    }
}
