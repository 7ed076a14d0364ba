//! The rows of the scoring projection: feature states read back from
//! `customer_features`, and the `customer_features`, `risk_history` and
//! `decision_outbox` rows a batch writes, each table in one `unnest` insert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::features::{FeatureState, Features, FEATURE_NAMES};
use sqlx::{PgConnection, Row};

use super::risk_state::{self, band_name, RiskRow};
use crate::projection::{ProjectionError, Tables};

/// A customer's feature state and the last event of the stream folded in.
#[derive(Default)]
pub(super) struct Entry {
    /// The state.
    pub(super) state: FeatureState,
    /// Sequence of the last event folded (0 before any).
    pub(super) last_sequence: i64,
}

/// Customers' states and risk rows, by customer id.
#[derive(Default)]
pub(super) struct States {
    /// Feature states.
    pub(super) entries: HashMap<String, Entry>,
    /// `customer_risk` rows.
    pub(super) risk: HashMap<String, RiskRow>,
}

/// An inconsistency in stored or computed data: the batch cannot be applied.
pub(super) fn poison(reason: String) -> ProjectionError {
    ProjectionError::Poison {
        position: 0,
        reason,
    }
}

/// Reads the stored states of `ids` into `into`.
pub(super) async fn load_states(
    tx: &mut PgConnection,
    table: &str,
    ids: &[String],
    into: &mut HashMap<String, Entry>,
) -> Result<(), ProjectionError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(&format!(
        "SELECT customer_id, state::text AS state, last_sequence FROM {table} WHERE customer_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    for r in rows {
        let id: String = r.try_get("customer_id")?;
        // Decoded from text straight into the state (no JSON tree between).
        let state = serde_json::from_str(r.try_get::<&str, _>("state")?)
            .map_err(|e| poison(format!("stored feature state of {id} is unreadable: {e}")))?;
        into.insert(
            id,
            Entry {
                state,
                last_sequence: r.try_get("last_sequence")?,
            },
        );
    }
    Ok(())
}

/// One `risk_history` row: customer, trigger sequence, as-of, scores, final
/// band, fired rule ids.
type HistoryRow = (
    String,
    i64,
    DateTime<Utc>,
    domain::risk::Scores,
    domain::risk::Band,
    Vec<String>,
);

/// Rows to write, as columns.
#[derive(Default)]
pub(super) struct Output {
    ids: Vec<String>,
    as_of: Vec<DateTime<Utc>>,
    /// Serialised feature states (JSON text, cast to jsonb by the insert).
    states: Vec<String>,
    sequences: Vec<i64>,
    columns: Vec<Vec<f64>>,
    /// `risk_history` rows.
    pub(super) history: Vec<HistoryRow>,
    /// `decision_outbox` rows: decision id, customer, command.
    pub(super) outbox: Vec<(String, String, serde_json::Value)>,
}

impl Output {
    /// Adds the `customer_features` row of one customer.
    pub(super) fn feature_row(
        &mut self,
        id: &str,
        at: DateTime<Utc>,
        state: &FeatureState,
        seq: i64,
        f: &Features,
    ) -> Result<(), ProjectionError> {
        if self.columns.is_empty() {
            self.columns = vec![Vec::new(); FEATURE_NAMES.len()];
        }
        for (col, value) in self.columns.iter_mut().zip(f.to_vec()) {
            col.push(value);
        }
        self.ids.push(id.to_owned());
        self.as_of.push(at);
        self.states.push(
            serde_json::to_string(state)
                .map_err(|e| poison(format!("feature state does not serialise: {e}")))?,
        );
        self.sequences.push(seq);
        Ok(())
    }

    /// Writes the rows: feature rows upserted, history and outbox rows
    /// inserted (a row already there is kept).
    pub(super) async fn save(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        version: &str,
    ) -> Result<(), ProjectionError> {
        if !self.ids.is_empty() {
            let table = tables.name("customer_features");
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
                 SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]::jsonb[], $4::bigint[], {}) \
                 ON CONFLICT (customer_id) DO UPDATE SET as_of = EXCLUDED.as_of, state = EXCLUDED.state, \
                   last_sequence = EXCLUDED.last_sequence, {}",
                params.join(", "),
                updates.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(&self.ids)
                .bind(&self.as_of)
                .bind(&self.states)
                .bind(&self.sequences);
            for col in &self.columns {
                q = q.bind(col);
            }
            q.execute(&mut *tx).await?;
        }
        if !self.history.is_empty() {
            let mut c = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            for (id, seq, at, s, band, rules) in &self.history {
                c.0.push(id.clone());
                c.1.push(*seq);
                c.2.push(*at);
                c.3.push(s.ensemble);
                c.4.push(s.logistic);
                c.5.push(s.tree);
                c.6.push(band_name(s.band).to_owned());
                c.7.push(band_name(*band).to_owned());
                c.8.push(serde_json::to_value(rules).unwrap_or_default());
            }
            sqlx::query(&format!(
                "INSERT INTO {} (customer_id, sequence, scored_at, score, logistic, tree, model_band, band, fired_rules, model_version) \
                 SELECT id, seq, at, score, lr, tree, mband, band, ARRAY(SELECT jsonb_array_elements_text(rules)), $10 \
                 FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], \
                     $7::text[], $8::text[], $9::jsonb[]) AS u(id, seq, at, score, lr, tree, mband, band, rules) \
                 ON CONFLICT DO NOTHING",
                tables.name("risk_history")
            ))
            .bind(&c.0)
            .bind(&c.1)
            .bind(&c.2)
            .bind(&c.3)
            .bind(&c.4)
            .bind(&c.5)
            .bind(&c.6)
            .bind(&c.7)
            .bind(&c.8)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        if !self.outbox.is_empty() {
            let (ids, customers, commands): (Vec<_>, Vec<_>, Vec<_>) =
                self.outbox.iter().cloned().fold(
                    (Vec::new(), Vec::new(), Vec::new()),
                    |mut acc, (d, c, j)| {
                        acc.0.push(d);
                        acc.1.push(c);
                        acc.2.push(j);
                        acc
                    },
                );
            sqlx::query(
                "INSERT INTO decision_outbox (decision_id, customer_id, command) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[]) ON CONFLICT DO NOTHING",
            )
            .bind(&ids)
            .bind(&customers)
            .bind(&commands)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// Writes every state of `states` (its features worked out again) and every
/// risk row, in customer order.
pub(super) async fn write_all(
    tx: &mut PgConnection,
    tables: &Tables,
    version: &str,
    states: &States,
) -> Result<(), ProjectionError> {
    let mut entries: Vec<_> = states.entries.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Output::default();
    for (id, e) in entries {
        // As in a batch: a state with no behaviour yet has no row.
        if let Some(at) = e.state.latest_event_at() {
            out.feature_row(id, at, &e.state, e.last_sequence, &e.state.features(at))?;
        }
    }
    out.save(tx, tables, version).await?;
    let mut risk: Vec<_> = states.risk.iter().collect();
    risk.sort_unstable_by(|a, b| a.0.cmp(b.0));
    risk_state::save(tx, tables.name("customer_risk"), risk).await
}
