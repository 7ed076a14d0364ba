//! Who asked for a command and in which chain of cause and effect: stored
//! with every event it records.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Request metadata. `occurred_at` is not here: it is a property of each
/// event and the store adds it per event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The authenticated caller (a user, a system, or a process manager).
    pub actor: String,
    /// The request that carried the command.
    pub request_id: String,
    /// The whole conversation this belongs to (equals the request id when
    /// the caller gave none).
    pub correlation_id: String,
    /// The event or request that directly caused this command.
    pub causation_id: Option<String>,
}

impl Metadata {
    /// Metadata for a command with no outside request (a CLI import line,
    /// a test).
    pub fn system(actor: &str, request_id: impl Into<String>) -> Self {
        let request_id = request_id.into();
        Self {
            actor: actor.into(),
            correlation_id: request_id.clone(),
            request_id,
            causation_id: None,
        }
    }

    /// The cqrs-es form (string map).
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::from([
            ("actor".to_owned(), self.actor.clone()),
            ("request_id".to_owned(), self.request_id.clone()),
            ("correlation_id".to_owned(), self.correlation_id.clone()),
        ]);
        if let Some(c) = &self.causation_id {
            m.insert("causation_id".to_owned(), c.clone());
        }
        m
    }
}
