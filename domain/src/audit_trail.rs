//! The `AuditTrail` aggregate: who read what through the audit routes, and
//! when — one stream per staff member, so the reads of the people who check
//! the log are themselves on the log (hash-chained and append-only like
//! every other fact).
//!
//! A read is recorded *before* it is answered: an answer the trail does not
//! show was never given. Times come in with the command (no clock here).

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Longest free-text field accepted (route, request id, query).
pub const MAX_FIELD: usize = 256;

/// What was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditQuery {
    /// A customer's decision records.
    CustomerDecisions,
    /// One decision record.
    Decision,
    /// A decision replayed.
    Replay,
    /// A customer's state as of a moment or log position.
    StateAsOf,
}

/// Records one audit read (the command).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordAuditRead {
    /// The staff member's user name (the stream id).
    pub reader: String,
    /// Their role when they read (`auditor`).
    pub role: String,
    /// What they asked for.
    pub query: AuditQuery,
    /// The customer concerned, when the request names one.
    pub customer_id: Option<String>,
    /// The decision concerned, when the request names one.
    pub decision_id: Option<String>,
    /// The cut-off asked for (as-of time or log position), verbatim.
    pub as_of: Option<String>,
    /// The request's id (as in the access log and the answer's headers).
    pub request_id: String,
    /// When it was asked.
    pub read_at: DateTime<Utc>,
}

/// An audit read was made (the event: the command as recorded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReadRecorded(pub RecordAuditRead);

/// Events of an audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AuditTrailEvent {
    /// See [`AuditReadRecorded`].
    AuditReadRecorded(AuditReadRecorded),
}

impl AuditTrailEvent {
    /// When it happened.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::AuditReadRecorded(e) => e.0.read_at,
        }
    }
}

impl DomainEvent for AuditTrailEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AuditReadRecorded(_) => "AuditReadRecorded".to_owned(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a read could not be recorded (nothing recorded, nothing answered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditTrailError {
    /// A field is empty, too long, or names another reader's trail.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// One reader's trail. Only the count is kept: the reads themselves are the
/// events, and nothing about earlier reads limits later ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditTrail {
    reads: u64,
}

impl AuditTrail {
    /// Reads recorded so far.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// The event recording `read` on the trail of `stream` (the reader).
    pub fn decide(
        &self,
        stream: &str,
        read: RecordAuditRead,
    ) -> Result<AuditTrailEvent, AuditTrailError> {
        let invalid = |field, reason: &str| AuditTrailError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if read.reader != stream {
            return Err(invalid("reader", "must be the trail's own reader"));
        }
        let text = [
            ("reader", Some(&read.reader)),
            ("role", Some(&read.role)),
            ("request_id", Some(&read.request_id)),
            ("customer_id", read.customer_id.as_ref()),
            ("decision_id", read.decision_id.as_ref()),
            ("as_of", read.as_of.as_ref()),
        ];
        for (field, value) in text {
            match value {
                Some(v) if v.is_empty() => return Err(invalid(field, "must not be empty")),
                Some(v) if v.len() > MAX_FIELD => {
                    return Err(invalid(field, "is too long (at most 256 bytes)"))
                }
                _ => {}
            }
        }
        Ok(AuditTrailEvent::AuditReadRecorded(AuditReadRecorded(read)))
    }
}

/// A command addressed to one reader's trail.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditTrailAddressed {
    /// The reader (stream id).
    pub reader: String,
    /// The read.
    pub read: RecordAuditRead,
}

impl Aggregate for AuditTrail {
    const TYPE: &'static str = "audit_trail";
    type Command = AuditTrailAddressed;
    type Event = AuditTrailEvent;
    type Error = AuditTrailError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = self.decide(&command.reader, command.read)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            AuditTrailEvent::AuditReadRecorded(_) => self.reads += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn read(reader: &str) -> RecordAuditRead {
        RecordAuditRead {
            reader: reader.to_owned(),
            role: "auditor".to_owned(),
            query: AuditQuery::Replay,
            customer_id: Some("C-1".to_owned()),
            decision_id: Some("C-1:42".to_owned()),
            as_of: None,
            request_id: "req-1".to_owned(),
            read_at: "2026-03-03T10:00:00Z".parse().expect("time"),
        }
    }

    fn addressed(stream: &str, read: RecordAuditRead) -> AuditTrailAddressed {
        AuditTrailAddressed {
            reader: stream.to_owned(),
            read,
        }
    }

    #[test]
    fn a_read_is_recorded_as_asked() {
        let r = read("audrey");
        TestFramework::<AuditTrail>::with(())
            .given(vec![AuditTrailEvent::AuditReadRecorded(AuditReadRecorded(
                read("audrey"),
            ))])
            .when(addressed("audrey", r.clone()))
            .then_expect_events(vec![AuditTrailEvent::AuditReadRecorded(AuditReadRecorded(
                r,
            ))]);
    }

    #[test]
    fn a_read_cannot_be_put_on_someone_elses_trail() {
        TestFramework::<AuditTrail>::with(())
            .given_no_previous_events()
            .when(addressed("audrey", read("mallory")))
            .then_expect_error(AuditTrailError::Invalid {
                field: "reader",
                reason: "must be the trail's own reader".to_owned(),
            });
    }

    #[test]
    fn empty_or_overlong_fields_are_refused() {
        let mut r = read("audrey");
        r.request_id = String::new();
        assert!(matches!(
            AuditTrail::default().decide("audrey", r),
            Err(AuditTrailError::Invalid {
                field: "request_id",
                ..
            })
        ));
        let mut r = read("audrey");
        r.as_of = Some("x".repeat(MAX_FIELD + 1));
        assert!(matches!(
            AuditTrail::default().decide("audrey", r),
            Err(AuditTrailError::Invalid { field: "as_of", .. })
        ));
    }

    #[test]
    fn the_trail_counts_its_reads() {
        let mut t = AuditTrail::default();
        for _ in 0..3 {
            let e = t.decide("audrey", read("audrey")).expect("valid");
            t.apply(e);
        }
        assert_eq!(t.reads(), 3);
    }
}
