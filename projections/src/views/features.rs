//! `customer_features` and scoring: each customer's behavioural features, the
//! bounded [`FeatureState`] they come from (so a new event is folded in
//! without replaying history), and — with the same fold — the risk score of
//! every change (`risk_history`, `customer_risk`) and a request to record a
//! decision when the band changes or a rule newly fires (`decision_outbox`,
//! drained by the [`crate::recorder`]).
//!
//! Features are computed as of the customer's latest event time, never the
//! wall clock, with the same domain code the trainer and the auditor's replay
//! use. Decisions are requested only by the live projection: a rebuild
//! recomputes scores but never re-decides history.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use commands::RecordedEvent;
use domain::customer::{DecisionTrigger, LogCheckpoint, RecordRiskAssessment};
use domain::features::{FeatureState, Features, FEATURE_NAMES};
use domain::risk::{assess, ModelArtifact};
use domain::CustomerEvent;
use sqlx::{PgConnection, Row};

use super::risk_state::{self, band_name, RiskRow};
use crate::projection::{customer_events, Projection, ProjectionError, Tables};

/// The projection, scoring with one model artifact.
pub struct CustomerFeatures {
    model: Arc<ModelArtifact>,
    version: String,
}

impl CustomerFeatures {
    /// Scores with `model`.
    pub fn new(model: Arc<ModelArtifact>) -> Self {
        let version = model.version();
        Self { model, version }
    }
}

struct Entry {
    state: FeatureState,
    last_sequence: i64,
}

fn poison(reason: String) -> ProjectionError {
    ProjectionError::Poison {
        position: 0,
        reason,
    }
}

impl Projection for CustomerFeatures {
    const NAME: &'static str = "customer_features";
    const TABLES: &'static [&'static str] = &["customer_features", "customer_risk", "risk_history"];

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
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
        let mut entries = load_states(tx, tables.name("customer_features"), &ids).await?;
        let mut risk = risk_state::load(tx, tables.name("customer_risk"), &ids).await?;
        // The last behaviour event of each customer in this batch: what the
        // new score is about.
        let mut triggers: BTreeMap<String, &RecordedEvent> = BTreeMap::new();
        for (stored, event) in &decoded {
            let id = &stored.aggregate_id;
            let entry = entries.entry(id.clone()).or_insert_with(|| Entry {
                state: FeatureState::default(),
                last_sequence: 0,
            });
            if stored.sequence <= entry.last_sequence {
                continue; // already folded (a rebuild overlapping the live log)
            }
            entry.last_sequence = stored.sequence;
            match event {
                CustomerEvent::RiskAssessed(e) => {
                    risk.entry(id.clone())
                        .or_insert_with(|| RiskRow::new(e.assessment.as_of))
                        .record(e);
                }
                // Alerts are the bank's reaction, not behaviour: no rescoring.
                other if !other.is_behaviour() => {}
                other => {
                    entry.state.apply(other);
                    triggers.insert(id.clone(), stored);
                }
            }
        }
        let mut out = Output::default();
        for (id, entry) in &entries {
            let Some(at) = entry.state.latest_event_at() else {
                continue;
            };
            let features = entry.state.features(at);
            out.feature_row(id, at, &entry.state, entry.last_sequence, &features)?;
            let Some(trigger) = triggers.get(id) else {
                continue;
            };
            let a = assess(&self.model, &features);
            let rules: Vec<String> = a.fired_rules.iter().map(|r| r.id.clone()).collect();
            let row = risk.entry(id.clone()).or_insert_with(|| RiskRow::new(at));
            row.score = a.scores.ensemble;
            row.band = a.band;
            row.fired_rules = rules.clone();
            row.scored_at = at;
            row.scored_sequence = trigger.sequence;
            row.model_version = self.version.clone();
            out.history.push((
                id.clone(),
                trigger.sequence,
                at,
                a.scores,
                a.band,
                rules.clone(),
            ));
            if tables.is_live() && row.is_news(a.band, &rules) {
                let decision_id = format!("{id}:{}", trigger.checkpoint.position);
                let command = RecordRiskAssessment {
                    decision_id: decision_id.clone(),
                    trigger: DecisionTrigger {
                        sequence: trigger.sequence,
                        global_position: trigger.checkpoint.position,
                        event_type: trigger.event_type.clone(),
                    },
                    checkpoint: LogCheckpoint {
                        tx_id: trigger.checkpoint.tx_id,
                        position: trigger.checkpoint.position,
                    },
                    as_of: at,
                    model_version: self.version.clone(),
                    rule_set_version: self.model.rules.version.clone(),
                    features,
                    scores: a.scores,
                    fired_rules: a.fired_rules,
                    band: a.band,
                    explanation: a.explanation,
                    reasons: a.reasons,
                };
                let json = serde_json::to_value(&command)
                    .map_err(|e| poison(format!("decision does not serialise: {e}")))?;
                out.outbox.push((decision_id.clone(), id.clone(), json));
                row.requested = Some((a.band, rules));
                row.last_decision_id = Some(decision_id);
            }
        }
        out.save(tx, tables, &self.version).await?;
        risk_state::save(tx, tables.name("customer_risk"), &risk).await
    }
}

async fn load_states(
    tx: &mut PgConnection,
    table: &str,
    ids: &[String],
) -> Result<BTreeMap<String, Entry>, ProjectionError> {
    let rows = sqlx::query(&format!(
        "SELECT customer_id, state::text AS state, last_sequence FROM {table} WHERE customer_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut entries = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("customer_id")?;
        // Decoded from text straight into the state (no JSON tree between).
        let state = serde_json::from_str(r.try_get::<&str, _>("state")?)
            .map_err(|e| poison(format!("stored feature state of {id} is unreadable: {e}")))?;
        entries.insert(
            id,
            Entry {
                state,
                last_sequence: r.try_get("last_sequence")?,
            },
        );
    }
    Ok(entries)
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
struct Output {
    ids: Vec<String>,
    as_of: Vec<DateTime<Utc>>,
    /// Serialised feature states (JSON text, cast to jsonb by the insert).
    states: Vec<String>,
    sequences: Vec<i64>,
    columns: Vec<Vec<f64>>,
    history: Vec<HistoryRow>,
    outbox: Vec<(String, String, serde_json::Value)>,
}

impl Output {
    fn feature_row(
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

    async fn save(
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
