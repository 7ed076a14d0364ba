//! Replaying a recorded decision: re-derive its evidence from the log,
//! re-score it with the model it names (from the registry), re-run the rules
//! and the explanation, and compare everything with what was recorded.
//!
//! [`judge`] is the pure core: given what the log says (the trigger, the
//! features as of the checkpoint, the band recorded before) and the model,
//! it rebuilds the whole `RecordRiskAssessment` the scoring projection would
//! have asked for and compares it field by field with the recorded one
//! ([`crate::diff`]). Deriving rather than copying the decision id, trigger
//! and checkpoint means a decision edited to point at other evidence shows
//! up as a difference too.

use chrono::{DateTime, Utc};
use domain::customer::{LogCheckpoint, RiskAssessed};
use domain::features::{Features, FEATURE_NAMES};
use domain::risk::decision::record;
use domain::risk::{verdict, Band, DecisionPoint};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::diff::{diff_json, FieldDiff};
use crate::fold::{reference_features, Trigger};
use crate::models::{Loaded, ModelCache};
use crate::{log, record, AuditError, Checkpoint};

/// Whether a replay reproduced the decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "result", content = "diffs", rename_all = "snake_case")]
pub enum Verdict {
    /// Every field, bit for bit.
    Match,
    /// The fields that differ.
    Mismatch(Vec<FieldDiff>),
}

impl Verdict {
    /// Whether it matched.
    pub fn is_match(&self) -> bool {
        matches!(self, Verdict::Match)
    }
}

/// The outcome of replaying one decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replay {
    /// The decision.
    pub decision_id: String,
    /// Its customer.
    pub customer_id: String,
    /// The `RiskAssessed` event's sequence in the stream.
    pub sequence: i64,
    /// The model it names (the one replayed with).
    pub model_version: String,
    /// Events of the customer at or before the checkpoint (commit order).
    pub events_folded: usize,
    /// Match, or the differences.
    pub verdict: Verdict,
}

/// What the replay re-derived from the log for one decision.
#[derive(Clone, Debug)]
pub struct Evidence<'a> {
    /// The customer.
    pub customer_id: &'a str,
    /// The last behaviour event at or before the checkpoint.
    pub trigger: Option<&'a Trigger>,
    /// The features as of the decision's moment — the latest business time
    /// folded, or a day-end decision's as-of — and that moment.
    pub features: Option<(DateTime<Utc>, Features)>,
    /// The band of the previous decision on the stream (Low when none).
    pub band_before: Band,
}

/// Rebuilds the decision from `evidence` with `model` and compares it with
/// `recorded`.
pub fn judge(recorded: &RiskAssessed, evidence: &Evidence<'_>, model: &Loaded) -> Verdict {
    let a = &recorded.assessment;
    let mut diffs = Vec::new();
    if recorded.band_before != evidence.band_before {
        diffs.push(FieldDiff::new(
            "band_before",
            format!("{:?}", recorded.band_before),
            format!(
                "{:?} (band of the previous decision on the stream)",
                evidence.band_before
            ),
        ));
    }
    let (Some(trigger), Some((as_of, features))) = (evidence.trigger, evidence.features) else {
        diffs.push(FieldDiff::new(
            "checkpoint",
            format!("{}/{}", a.checkpoint.tx_id, a.checkpoint.position),
            "no behaviour event of the customer at or before it",
        ));
        return Verdict::Mismatch(diffs);
    };
    let checkpoint = LogCheckpoint {
        tx_id: trigger.checkpoint.tx_id,
        position: trigger.checkpoint.position,
    };
    // A day-end decision is re-derived as a day-end decision: its day comes
    // from the recorded as-of, and an as-of that is not a day's end then
    // shows as a difference.
    let point = match a.day_ended() {
        Some(day) => {
            DecisionPoint::at_day_end(evidence.customer_id, trigger.sequence, checkpoint, day)
        }
        None => DecisionPoint::at_event(
            evidence.customer_id,
            trigger.sequence,
            &trigger.event_type,
            checkpoint,
            as_of,
        ),
    };
    match model {
        Ok(model) => {
            let features = unread_as_recorded(&a.features, features, model);
            // The same decide function as live scoring, forced to decide
            // (the decision exists; the question is whether it is the same).
            let replayed = record(
                model,
                &a.model_version,
                verdict(model, &features),
                features,
                &point,
            );
            // Fast path: the derived equality compares every field, and on
            // f64 it is bit equality except that it takes -0.0 == 0.0 —
            // exactly the one normalisation allowed (see `crate::diff`).
            // Anything else goes through the walk that names the fields.
            if replayed != *a {
                diff_json("", &json(a), &json(&replayed), &mut diffs);
            }
        }
        Err(reason) => {
            // Without the model only the evidence can be compared.
            diffs.push(FieldDiff::new(
                "model_version",
                &a.model_version,
                format!("cannot be replayed: {reason}"),
            ));
            let evidence_only = ["decision_id", "trigger", "checkpoint", "as_of", "features"];
            let pick = |v: Value| -> Value {
                let Value::Object(m) = v else { return v };
                Value::Object(
                    m.into_iter()
                        .filter(|(k, _)| evidence_only.contains(&k.as_str()))
                        .collect(),
                )
            };
            let replayed = serde_json::json!({
                "decision_id": point.decision_id(),
                "trigger": point.trigger,
                "checkpoint": point.checkpoint,
                "as_of": point.as_of,
                "features": features,
            });
            diff_json("", &pick(json(a)), &pick(replayed), &mut diffs);
        }
    }
    if diffs.is_empty() {
        Verdict::Match
    } else {
        Verdict::Mismatch(diffs)
    }
}

/// Features newer than a decision: one recorded before a feature existed
/// (e.g. `credit_limit`, `utilisation_trend`, `payment_ratio_change`) reads it as 0, and a model that
/// does not list it (none older than the feature can) decided without it.
/// The replay then takes the recorded value for it instead of calling the
/// decision different; a model that lists it is compared on it like every
/// other feature.
fn unread_as_recorded(
    recorded: &Features,
    replayed: Features,
    model: &domain::risk::ModelArtifact,
) -> Features {
    let (recorded, mut replayed) = (recorded.to_vec(), replayed.to_vec());
    for (k, name) in FEATURE_NAMES.iter().enumerate() {
        if recorded[k] == 0.0 && !model.features.iter().any(|f| f == name) {
            replayed[k] = recorded[k];
        }
    }
    Features::from_array(replayed)
}

fn json<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or_else(|e| Value::String(format!("unserialisable: {e}")))
}

/// Replays one decision by id: reads the customer's events up to the
/// decision's checkpoint (commit order), computes the features with the
/// reference definition, and judges the decision with the model it names.
pub async fn replay_decision(
    pool: &PgPool,
    models: &ModelCache,
    decision_id: &str,
) -> Result<Replay, AuditError> {
    let found = record::find_decision(pool, decision_id).await?;
    let a = &found.decision.assessment;
    let cp = Checkpoint {
        tx_id: a.checkpoint.tx_id,
        position: a.checkpoint.position,
    };
    let (events, band_before, model) = tokio::try_join!(
        async { log::stream_until(pool, &found.customer_id, cp).await },
        async { record::band_before(pool, &found.customer_id, found.sequence).await },
        async {
            models
                .get(pool, &a.model_version)
                .await
                .map_err(AuditError::from)
        },
    )?;
    let at = a.day_ended().map(|_| a.as_of);
    let (features, trigger) = reference_features(&events, cp, at);
    let evidence = Evidence {
        customer_id: &found.customer_id,
        trigger: trigger.as_ref(),
        features,
        band_before,
    };
    Ok(Replay {
        decision_id: a.decision_id.clone(),
        customer_id: found.customer_id.clone(),
        sequence: found.sequence,
        model_version: a.model_version.clone(),
        events_folded: events.len(),
        verdict: judge(&found.decision, &evidence, &model),
    })
}
