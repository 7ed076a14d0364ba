//! `customer_features`: each customer's current behavioural features, and
//! the bounded [`FeatureState`] they come from, so a new event is folded in
//! without replaying the customer's history. The features are computed as of
//! the customer's latest event time (never the wall clock), with the same
//! domain code the trainer and the auditor's replay use.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use commands::RecordedEvent;
use domain::features::{FeatureState, Features, FEATURE_NAMES};
use sqlx::{PgConnection, Row};

use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The projection.
pub struct CustomerFeatures;

struct Entry {
    state: FeatureState,
    last_sequence: i64,
}

impl Projection for CustomerFeatures {
    const NAME: &'static str = "customer_features";
    const TABLES: &'static [&'static str] = &["customer_features"];

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let table = tables.name("customer_features");
        let decoded = customer_events(events)?;
        if decoded.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<String> = decoded
            .iter()
            .map(|(e, _)| e.aggregate_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let rows = sqlx::query(&format!(
            "SELECT customer_id, state, last_sequence FROM {table} WHERE customer_id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        for r in rows {
            let id: String = r.try_get("customer_id")?;
            let state = serde_json::from_value(r.try_get("state")?).map_err(|e| {
                ProjectionError::Poison {
                    position: 0,
                    reason: format!("stored feature state of {id} is unreadable: {e}"),
                }
            })?;
            entries.insert(
                id,
                Entry {
                    state,
                    last_sequence: r.try_get("last_sequence")?,
                },
            );
        }
        for (stored, event) in &decoded {
            let entry = entries
                .entry(stored.aggregate_id.clone())
                .or_insert_with(|| Entry {
                    state: FeatureState::default(),
                    last_sequence: 0,
                });
            if stored.sequence > entry.last_sequence {
                entry.state.apply(event);
                entry.last_sequence = stored.sequence;
            }
        }
        let mut ids = Vec::with_capacity(entries.len());
        let mut as_of: Vec<DateTime<Utc>> = Vec::with_capacity(entries.len());
        let mut states = Vec::with_capacity(entries.len());
        let mut sequences = Vec::with_capacity(entries.len());
        let mut columns: Vec<Vec<f64>> =
            vec![Vec::with_capacity(entries.len()); FEATURE_NAMES.len()];
        for (id, entry) in entries {
            let Some(at) = entry.state.latest_event_at() else {
                continue;
            };
            let features: Features = entry.state.features(at);
            for (col, value) in columns.iter_mut().zip(features.to_vec()) {
                col.push(value);
            }
            ids.push(id);
            as_of.push(at);
            states.push(serde_json::to_value(&entry.state).map_err(|e| {
                ProjectionError::Poison {
                    position: 0,
                    reason: format!("feature state does not serialise: {e}"),
                }
            })?);
            sequences.push(entry.last_sequence);
        }
        let names = FEATURE_NAMES.join(", ");
        let params: Vec<String> = (0..FEATURE_NAMES.len())
            .map(|i| format!("${}::float8[]", i + 5))
            .collect();
        let updates: Vec<String> = FEATURE_NAMES
            .iter()
            .map(|n| format!("{n} = EXCLUDED.{n}"))
            .collect();
        let sql = format!(
            "INSERT INTO {table} (customer_id, as_of, state, last_sequence, {names}) \
             SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[], $4::bigint[], {}) \
             ON CONFLICT (customer_id) DO UPDATE SET as_of = EXCLUDED.as_of, state = EXCLUDED.state, \
               last_sequence = EXCLUDED.last_sequence, {}",
            params.join(", "),
            updates.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(&ids)
            .bind(&as_of)
            .bind(&states)
            .bind(&sequences);
        for col in &columns {
            q = q.bind(col);
        }
        q.execute(&mut *tx).await?;
        Ok(())
    }
}
