//! The rows of the scoring projection: feature states read back from
//! `customer_features`, and the `customer_features`, `risk_history` and
//! `decision_outbox` rows a batch writes, each table in one `unnest` insert
//! and all of them (with `customer_risk`) in one statement.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::features::{FeatureState, Features, FEATURE_NAMES};
use sqlx::{PgConnection, Row};

use super::risk_state::{self, band_name, RiskRow};
use super::state_codec;
use super::writes::Writes;
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
        "SELECT customer_id, state_bin, state::text AS state, last_sequence FROM {table} WHERE customer_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    for r in rows {
        let id: String = r.try_get("customer_id")?;
        let state = state_codec::decode(r.try_get("state_bin")?, r.try_get("state")?)
            .map_err(|e| poison(format!("stored feature state of {id}: {e}")))?;
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
    /// Encoded feature states.
    states: Vec<Vec<u8>>,
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
        self.states
            .push(state_codec::encode(state).map_err(poison)?);
        self.sequences.push(seq);
        Ok(())
    }

    /// Adds the rows to `w`: feature rows upserted, history and outbox rows
    /// inserted (a row already there is kept).
    pub(super) fn add_to(
        &self,
        w: &mut Writes,
        tables: &Tables,
        version: &str,
    ) -> Result<(), ProjectionError> {
        if !self.ids.is_empty() {
            let table = tables.name("customer_features");
            let names = FEATURE_NAMES.join(", ");
            let (ids, as_of) = (w.bind(&self.ids)?, w.bind(&self.as_of)?);
            let (states, sequences) = (w.bind(&self.states)?, w.bind(&self.sequences)?);
            let mut columns = Vec::new();
            for col in &self.columns {
                columns.push(format!("{}::float8[]", w.bind(col)?));
            }
            let updates: Vec<String> = FEATURE_NAMES
                .iter()
                .map(|n| format!("{n} = EXCLUDED.{n}"))
                .collect();
            w.push(format!(
                "INSERT INTO {table} (customer_id, as_of, state_bin, last_sequence, {names}) \
                 SELECT * FROM unnest({ids}::text[], {as_of}::timestamptz[], {states}::bytea[], {sequences}::bigint[], {}) \
                 ON CONFLICT (customer_id) DO UPDATE SET as_of = EXCLUDED.as_of, state = NULL, state_bin = EXCLUDED.state_bin, \
                   last_sequence = EXCLUDED.last_sequence, {}",
                columns.join(", "),
                updates.join(", ")
            ));
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
                c.0.push(id.as_str());
                c.1.push(*seq);
                c.2.push(*at);
                c.3.push(s.ensemble);
                c.4.push(s.logistic);
                c.5.push(s.tree);
                c.6.push(band_name(s.band));
                c.7.push(band_name(*band));
                c.8.push(serde_json::to_value(rules).unwrap_or_default());
            }
            let p = [
                w.bind(&c.0)?,
                w.bind(&c.1)?,
                w.bind(&c.2)?,
                w.bind(&c.3)?,
                w.bind(&c.4)?,
                w.bind(&c.5)?,
                w.bind(&c.6)?,
                w.bind(&c.7)?,
                w.bind(&c.8)?,
                w.bind(version)?,
            ];
            w.push(format!(
                "INSERT INTO {} (customer_id, sequence, scored_at, score, logistic, tree, model_band, band, fired_rules, model_version) \
                 SELECT id, seq, at, score, lr, tree, mband, band, ARRAY(SELECT jsonb_array_elements_text(rules)), {}::text \
                 FROM unnest({}::text[], {}::bigint[], {}::timestamptz[], {}::float8[], {}::float8[], {}::float8[], \
                     {}::text[], {}::text[], {}::jsonb[]) AS u(id, seq, at, score, lr, tree, mband, band, rules) \
                 ON CONFLICT DO NOTHING",
                tables.name("risk_history"),
                p[9], p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]
            ));
        }
        if !self.outbox.is_empty() {
            let ids: Vec<&str> = self.outbox.iter().map(|o| o.0.as_str()).collect();
            let customers: Vec<&str> = self.outbox.iter().map(|o| o.1.as_str()).collect();
            let commands: Vec<&serde_json::Value> = self.outbox.iter().map(|o| &o.2).collect();
            let (ids, customers, commands) =
                (w.bind(&ids)?, w.bind(&customers)?, w.bind(&commands)?);
            w.push(format!(
                "INSERT INTO decision_outbox (decision_id, customer_id, command) \
                 SELECT * FROM unnest({ids}::text[], {customers}::text[], {commands}::jsonb[]) ON CONFLICT DO NOTHING"
            ));
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
    let mut risk: Vec<_> = states.risk.iter().collect();
    risk.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut w = Writes::default();
    out.add_to(&mut w, tables, version)?;
    risk_state::add_to(&mut w, tables.name("customer_risk"), risk)?;
    w.execute(tx).await
}
