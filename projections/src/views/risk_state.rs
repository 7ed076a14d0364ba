//! The risk side of the scoring projection: each customer's `customer_risk`
//! row (latest score, recorded decision, requested decision), how recorded
//! `RiskAssessed` events move it, and when a new score is worth a decision.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::customer::RiskAssessed;
use domain::risk::{Band, LastDecision};
use sqlx::{PgConnection, Row};

use super::writes::Writes;
use crate::projection::ProjectionError;

/// One `customer_risk` row in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskRow {
    /// Latest ensemble score.
    pub score: f64,
    /// Latest final band.
    pub band: Band,
    /// Rules that fired in the latest score.
    pub fired_rules: Vec<String>,
    /// Business time of the latest score.
    pub scored_at: DateTime<Utc>,
    /// Trigger sequence of the latest score.
    pub scored_sequence: i64,
    /// Model that made the latest score.
    pub model_version: String,
    /// Band of the last recorded decision (Low before any).
    pub recorded_band: Band,
    /// Rules of the last recorded decision.
    pub recorded_rules: Vec<String>,
    /// When the recorded band started.
    pub recorded_since: Option<DateTime<Utc>>,
    /// The last decision asked for (band, rules), if any.
    pub requested: Option<(Band, Vec<String>)>,
    /// Id of the last decision asked for or recorded.
    pub last_decision_id: Option<String>,
}

impl RiskRow {
    /// A customer not scored yet.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            score: 0.0,
            band: Band::Low,
            fired_rules: Vec::new(),
            scored_at: at,
            scored_sequence: 0,
            model_version: String::new(),
            recorded_band: Band::Low,
            recorded_rules: Vec::new(),
            recorded_since: None,
            requested: None,
            last_decision_id: None,
        }
    }

    /// Folds a recorded decision. A day-end decision is also the latest
    /// score (unless an event was scored later): time passing moved it. The
    /// request it answers is answered — the one asked for last, or any
    /// request at all once a day's end has decided after it (a request the
    /// aggregate then finds no news is never recorded, and must not stand in
    /// for what was recorded).
    pub fn record(&mut self, e: &RiskAssessed) {
        let a = &e.assessment;
        let day_end = a.day_ended().is_some();
        if day_end || self.last_decision_id.as_deref() == Some(a.decision_id.as_str()) {
            self.requested = None;
        }
        if day_end && a.as_of >= self.scored_at {
            self.score = a.scores.ensemble;
            self.band = a.band;
            self.fired_rules = a.fired_rules.iter().map(|r| r.id.clone()).collect();
            self.scored_at = a.as_of;
            self.scored_sequence = a.trigger.sequence;
            self.model_version = a.model_version.clone();
        }
        if e.assessment.band != self.recorded_band || self.recorded_since.is_none() {
            self.recorded_since = Some(e.assessment.as_of);
        }
        self.recorded_band = e.assessment.band;
        self.recorded_rules = e
            .assessment
            .fired_rules
            .iter()
            .map(|r| r.id.clone())
            .collect();
        self.last_decision_id = Some(e.assessment.decision_id.clone());
    }

    /// Whether a score with `band` and `rules` differs from what was last
    /// decided (asked for, or else recorded): a band change or a new rule.
    pub fn is_news(&self, band: Band, rules: &[String]) -> bool {
        domain::risk::is_news(self.last_decision(), band, rules.iter().map(String::as_str))
    }

    /// What was last decided: asked for, or else recorded.
    pub fn last_decision(&self) -> LastDecision<'_> {
        match &self.requested {
            Some((band, rules)) => LastDecision { band: *band, rules },
            None => LastDecision {
                band: self.recorded_band,
                rules: &self.recorded_rules,
            },
        }
    }
}

/// The band a stored band name stands for (Low for anything else).
pub fn band_of(s: &str) -> Band {
    match s {
        "High" => Band::High,
        "Medium" => Band::Medium,
        _ => Band::Low,
    }
}

/// The text stored for a band.
pub fn band_name(b: Band) -> &'static str {
    match b {
        Band::Low => "Low",
        Band::Medium => "Medium",
        Band::High => "High",
    }
}

/// Loads the rows of `ids` from `table` into `into`.
pub async fn load(
    tx: &mut PgConnection,
    table: &str,
    ids: &[String],
    into: &mut HashMap<String, RiskRow>,
) -> Result<(), ProjectionError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(&format!(
        "SELECT customer_id, score, band, fired_rules, scored_at, scored_sequence, model_version, recorded_band, \
                recorded_rules, recorded_since, requested_band, requested_rules, last_decision_id \
         FROM {table} WHERE customer_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    for r in rows {
        let requested_band: Option<String> = r.try_get("requested_band")?;
        let requested_rules: Option<Vec<String>> = r.try_get("requested_rules")?;
        into.insert(
            r.try_get("customer_id")?,
            RiskRow {
                score: r.try_get("score")?,
                band: band_of(&r.try_get::<String, _>("band")?),
                fired_rules: r.try_get("fired_rules")?,
                scored_at: r.try_get("scored_at")?,
                scored_sequence: r.try_get("scored_sequence")?,
                model_version: r.try_get("model_version")?,
                recorded_band: band_of(&r.try_get::<String, _>("recorded_band")?),
                recorded_rules: r.try_get("recorded_rules")?,
                recorded_since: r.try_get("recorded_since")?,
                requested: requested_band
                    .map(|b| (band_of(&b), requested_rules.unwrap_or_default())),
                last_decision_id: r.try_get("last_decision_id")?,
            },
        );
    }
    Ok(())
}

/// Adds the upsert of `rows` into `table` to `w`.
pub(super) fn add_to<'a>(
    w: &mut Writes,
    table: &str,
    rows: impl IntoIterator<Item = (&'a String, &'a RiskRow)>,
) -> Result<(), ProjectionError> {
    // Arrays of arrays are awkward to bind: rule lists travel as JSON.
    let rules = |v: &Vec<String>| serde_json::to_value(v).unwrap_or_default();
    let mut c = Cols::default();
    for (id, r) in rows {
        c.ids.push(id.clone());
        c.score.push(r.score);
        c.band.push(band_name(r.band).to_owned());
        c.fired.push(rules(&r.fired_rules));
        c.scored_at.push(r.scored_at);
        c.scored_seq.push(r.scored_sequence);
        c.model.push(r.model_version.clone());
        c.rec_band.push(band_name(r.recorded_band).to_owned());
        c.rec_rules.push(rules(&r.recorded_rules));
        c.rec_since.push(r.recorded_since);
        c.req_band
            .push(r.requested.as_ref().map(|(b, _)| band_name(*b).to_owned()));
        c.req_rules
            .push(r.requested.as_ref().map(|(_, rs)| rules(rs)));
        c.decision.push(r.last_decision_id.clone());
    }
    if c.ids.is_empty() {
        return Ok(());
    }
    let p = [
        w.bind(&c.ids)?,
        w.bind(&c.score)?,
        w.bind(&c.band)?,
        w.bind(&c.fired)?,
        w.bind(&c.scored_at)?,
        w.bind(&c.scored_seq)?,
        w.bind(&c.model)?,
        w.bind(&c.rec_band)?,
        w.bind(&c.rec_rules)?,
        w.bind(&c.rec_since)?,
        w.bind(&c.req_band)?,
        w.bind(&c.req_rules)?,
        w.bind(&c.decision)?,
    ];
    w.push(format!(
        "INSERT INTO {table} (customer_id, score, band, fired_rules, scored_at, scored_sequence, model_version, \
             recorded_band, recorded_rules, recorded_since, requested_band, requested_rules, last_decision_id) \
         SELECT id, score, band, ARRAY(SELECT jsonb_array_elements_text(fired)), scored_at, seq, model, rec_band, \
             ARRAY(SELECT jsonb_array_elements_text(rec_rules)), rec_since, req_band, \
             CASE WHEN req_rules IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(req_rules)) END, decision \
         FROM unnest({}::text[], {}::float8[], {}::text[], {}::jsonb[], {}::timestamptz[], {}::bigint[], {}::text[], \
             {}::text[], {}::jsonb[], {}::timestamptz[], {}::text[], {}::jsonb[], {}::text[]) \
           AS u(id, score, band, fired, scored_at, seq, model, rec_band, rec_rules, rec_since, req_band, req_rules, decision) \
         ON CONFLICT (customer_id) DO UPDATE SET score = EXCLUDED.score, band = EXCLUDED.band, \
             fired_rules = EXCLUDED.fired_rules, scored_at = EXCLUDED.scored_at, scored_sequence = EXCLUDED.scored_sequence, \
             model_version = EXCLUDED.model_version, recorded_band = EXCLUDED.recorded_band, \
             recorded_rules = EXCLUDED.recorded_rules, recorded_since = EXCLUDED.recorded_since, \
             requested_band = EXCLUDED.requested_band, requested_rules = EXCLUDED.requested_rules, \
             last_decision_id = EXCLUDED.last_decision_id",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]
    ));
    Ok(())
}

#[derive(Default)]
struct Cols {
    ids: Vec<String>,
    score: Vec<f64>,
    band: Vec<String>,
    fired: Vec<serde_json::Value>,
    scored_at: Vec<DateTime<Utc>>,
    scored_seq: Vec<i64>,
    model: Vec<String>,
    rec_band: Vec<String>,
    rec_rules: Vec<serde_json::Value>,
    rec_since: Vec<Option<DateTime<Utc>>>,
    req_band: Vec<Option<String>>,
    req_rules: Vec<Option<serde_json::Value>>,
    decision: Vec<Option<String>>,
}
