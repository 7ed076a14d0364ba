//! What the store must know about an aggregate beyond cqrs-es's `Aggregate`:
//! which events carry a unique id, when each happened, and how to hand the
//! aggregate the earlier facts a command collides with.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{Customer, CustomerEvent, KnownFacts};

/// An aggregate the [`crate::PgEventStore`] can persist.
pub trait Stream: Aggregate + Clone + 'static {
    /// Bumped whenever the aggregate's serialised state changes shape:
    /// snapshots of another version are ignored (the stream is replayed).
    const SNAPSHOT_VERSION: i32;

    /// The per-stream unique key of an event, if it has one.
    fn event_dedup_key(event: &Self::Event) -> Option<String>;

    /// The key the event a command would record is unique under.
    fn command_dedup_key(command: &Self::Command) -> Option<String>;

    /// Every key whose earlier fact the aggregate needs to decide the
    /// command: its own and, for a correction, the corrected fact's.
    fn command_lookup_keys(command: &Self::Command) -> Vec<String> {
        Self::command_dedup_key(command).into_iter().collect()
    }

    /// When the event happened in the business's world.
    fn occurred_at(event: &Self::Event) -> DateTime<Utc>;

    /// The aggregate's services, given earlier events that share a key with
    /// the command.
    fn services(earlier: Vec<Self::Event>) -> Self::Services;
}

impl Stream for Customer {
    // 2: the state gained the alert book and the last decision's headline.
    const SNAPSHOT_VERSION: i32 = 2;

    fn event_dedup_key(event: &CustomerEvent) -> Option<String> {
        event.dedup_key()
    }

    fn command_dedup_key(command: &domain::customer::Addressed) -> Option<String> {
        command.command.dedup_key()
    }

    fn command_lookup_keys(command: &domain::customer::Addressed) -> Vec<String> {
        command.command.lookup_keys()
    }

    fn occurred_at(event: &CustomerEvent) -> DateTime<Utc> {
        event.occurred_at()
    }

    fn services(earlier: Vec<CustomerEvent>) -> KnownFacts {
        let mut facts = KnownFacts::none();
        for e in earlier {
            facts.remember(e);
        }
        facts
    }
}

impl Stream for domain::login::Login {
    const SNAPSHOT_VERSION: i32 = 1;

    // Login events carry no ids of their own to deduplicate: every attempt
    // is a fact, and limits are the aggregate's call.
    fn event_dedup_key(_: &domain::login::LoginEvent) -> Option<String> {
        None
    }

    fn command_dedup_key(_: &domain::login::LoginAddressed) -> Option<String> {
        None
    }

    fn occurred_at(event: &domain::login::LoginEvent) -> DateTime<Utc> {
        event.occurred_at()
    }

    fn services(_: Vec<domain::login::LoginEvent>) {}
}

impl Stream for domain::audit_trail::AuditTrail {
    const SNAPSHOT_VERSION: i32 = 1;

    // Every read is a fact of its own, even the same request asked twice.
    fn event_dedup_key(_: &domain::audit_trail::AuditTrailEvent) -> Option<String> {
        None
    }

    fn command_dedup_key(_: &domain::audit_trail::AuditTrailAddressed) -> Option<String> {
        None
    }

    fn occurred_at(event: &domain::audit_trail::AuditTrailEvent) -> DateTime<Utc> {
        event.occurred_at()
    }

    fn services(_: Vec<domain::audit_trail::AuditTrailEvent>) {}
}
