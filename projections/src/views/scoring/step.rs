//! What one step of the scoring projection does to its customers: fold the
//! batch's events into their states and risk rows, then score each customer
//! with new behaviour once (and ask for a decision when it is news).

use std::collections::HashMap;

use domain::customer::LogCheckpoint;
use domain::risk::{decide_features, verdict, Decided, DecisionPoint};
use domain::CustomerEvent;
use store::RecordedEvent;

use super::CustomerFeatures;
use crate::projection::ProjectionError;
use crate::views::feature_rows::{poison, Entry, Output, States};
use crate::views::risk_state::RiskRow;

/// A state with no behaviour folded yet is never stored, so the next batch
/// would start it afresh from the tables: forget it in memory too.
pub(super) fn forget_unscored(ids: &[String], states: &mut States) {
    for id in ids {
        if states
            .entries
            .get(id)
            .is_some_and(|e| e.state.latest_event_at().is_none())
        {
            states.entries.remove(id);
        }
    }
}

/// Folds a batch into the customers' states and risk rows (creating what is
/// missing); returns the trigger of each customer with new behaviour: its
/// last behaviour event in the batch, what the new score is about.
pub(super) fn fold<'a>(
    decoded: &'a [(&'a RecordedEvent, CustomerEvent)],
    states: &mut States,
) -> HashMap<&'a str, &'a RecordedEvent> {
    let States { entries, risk } = states;
    let mut triggers = HashMap::new();
    for (stored, event) in decoded {
        let id = &stored.aggregate_id;
        if !entries.contains_key(id) {
            entries.insert(id.clone(), Entry::default());
        }
        let Some(entry) = entries.get_mut(id) else {
            continue; // inserted just above
        };
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
                triggers.insert(id.as_str(), *stored);
            }
        }
    }
    triggers
}

impl CustomerFeatures {
    /// Scores the customers of `ids` (sorted) that have a trigger, moving
    /// their risk rows, and — with `rows` — writes the feature row of every
    /// one of them. Decisions are asked for only on `live` tables.
    pub(super) fn score(
        &self,
        ids: &[String],
        states: &mut States,
        triggers: &HashMap<&str, &RecordedEvent>,
        live: bool,
        rows: bool,
        out: &mut Output,
    ) -> Result<(), ProjectionError> {
        let States { entries, risk } = states;
        for id in ids {
            let Some(entry) = entries.get(id) else {
                continue;
            };
            let Some(at) = entry.state.latest_event_at() else {
                continue;
            };
            let features = entry.state.features(at);
            if rows {
                out.feature_row(id, at, &entry.state, entry.last_sequence, &features)?;
            }
            let Some(trigger) = triggers.get(id.as_str()) else {
                continue;
            };
            // One decide function for every path; a rebuild only scores
            // (explanations and reasons are only worked out for a decision).
            let checkpoint = LogCheckpoint {
                tx_id: trigger.checkpoint.tx_id,
                position: trigger.checkpoint.position,
            };
            let point =
                DecisionPoint::at_event(id, trigger.sequence, &trigger.event_type, checkpoint, at);
            let row = risk.entry(id.clone()).or_insert_with(|| RiskRow::new(at));
            let Decided {
                verdict: v,
                decision,
            } = if live {
                decide_features(
                    &self.model,
                    &self.version,
                    features,
                    &point,
                    Some(row.last_decision()),
                )
            } else {
                Decided {
                    verdict: verdict(&self.model, &features),
                    decision: None,
                }
            };
            let rules: Vec<String> = v.fired_rules.iter().map(|r| r.id.clone()).collect();
            row.score = v.scores.ensemble;
            row.band = v.band;
            row.fired_rules = rules.clone();
            row.scored_at = at;
            row.scored_sequence = trigger.sequence;
            row.model_version = self.version.clone();
            out.history.push((
                id.clone(),
                trigger.sequence,
                at,
                v.scores,
                v.band,
                rules.clone(),
            ));
            if let Some(command) = decision {
                let decision_id = command.decision_id.clone();
                let json = serde_json::to_value(&command)
                    .map_err(|e| poison(format!("decision does not serialise: {e}")))?;
                out.outbox.push((decision_id.clone(), id.clone(), json));
                row.requested = Some((command.band, rules));
                row.last_decision_id = Some(decision_id);
            }
        }
        Ok(())
    }
}
