//! The decision record an auditor reads: a recorded `RiskAssessed` decision
//! with everything it was based on (the triggering event, the log checkpoint,
//! features, model and rule-set versions, component scores, band change,
//! fired rules, explanation, reasons), who recorded it, and what followed on
//! the customer's stream afterwards (payments, days past due, later
//! decisions, and any later event type, summarised generically).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::customer::{RecordRiskAssessment, RiskAssessed};
use domain::risk::Band;
use domain::CustomerEvent;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgPool, Row};

use crate::log::{self, customer_type, LogEvent};
use crate::summary::EventEntry;
use crate::AuditError;

/// Later events listed in a record by default.
pub const DEFAULT_FOLLOW_LIMIT: usize = 100;

/// A recorded decision, found by id.
#[derive(Clone, Debug)]
pub struct FoundDecision {
    /// Its customer.
    pub customer_id: String,
    /// The `RiskAssessed` event's sequence.
    pub sequence: i64,
    /// The decision.
    pub decision: Box<RiskAssessed>,
}

/// Finds decision `id`. Decision ids are `customer:trigger-position` (see
/// the scoring projection), so the customer's stream is searched through its
/// index.
pub async fn find_decision(pool: &PgPool, id: &str) -> Result<FoundDecision, AuditError> {
    let not_found = || AuditError::NotFound(format!("decision {id}"));
    let customer = domain::risk::decision_customer(id).ok_or_else(not_found)?;
    let row = sqlx::query(
        "SELECT sequence, payload::text AS payload FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'RiskAssessed' \
           AND payload->'RiskAssessed'->'assessment'->>'decision_id' = $3",
    )
    .bind(customer_type())
    .bind(customer)
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(not_found)?;
    let sequence: i64 = row.try_get("sequence")?;
    let decision = decode_decision(customer, sequence, &row.try_get::<String, _>("payload")?)?;
    Ok(FoundDecision {
        customer_id: customer.to_owned(),
        sequence,
        decision,
    })
}

fn decode_decision(
    customer: &str,
    seq: i64,
    payload: &str,
) -> Result<Box<RiskAssessed>, AuditError> {
    match serde_json::from_str(payload) {
        Ok(CustomerEvent::RiskAssessed(d)) => Ok(d),
        Ok(_) => Err(AuditError::Corrupt(format!(
            "event {customer}#{seq} is typed RiskAssessed but holds another event"
        ))),
        Err(e) => Err(AuditError::Corrupt(format!("event {customer}#{seq}: {e}"))),
    }
}

/// The band recorded before the decision at `sequence`: the band of the
/// previous decision on the stream, Low when there is none (what the
/// aggregate stores as `band_before`).
pub async fn band_before(pool: &PgPool, customer: &str, sequence: i64) -> Result<Band, AuditError> {
    let row = sqlx::query(
        "SELECT sequence, payload::text AS payload FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'RiskAssessed' \
           AND sequence < $3 ORDER BY sequence DESC LIMIT 1",
    )
    .bind(customer_type())
    .bind(customer)
    .bind(sequence)
    .fetch_optional(pool)
    .await?;
    match row {
        None => Ok(Band::Low),
        Some(r) => {
            let seq: i64 = r.try_get("sequence")?;
            let payload: String = r.try_get("payload")?;
            Ok(decode_decision(customer, seq, &payload)?.assessment.band)
        }
    }
}

/// Everything about one decision.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRecord {
    /// Its customer.
    pub customer_id: String,
    /// The `RiskAssessed` event's sequence in the stream.
    pub sequence: i64,
    /// Its global position.
    pub global_position: i64,
    /// The transaction that recorded it.
    pub tx_id: u64,
    /// When the log stored it.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it and why (actor, request, correlation, causation).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: Value,
    /// The event the decision was about, if still on the stream.
    pub trigger_event: Option<EventEntry>,
    /// The band recorded before it.
    pub band_before: Band,
    /// The decision: id, trigger, checkpoint, as-of, model and rule-set
    /// versions, features, scores, fired rules, band, explanation, reasons.
    #[serde(flatten)]
    pub assessment: RecordRiskAssessment,
    /// Later events on the stream, oldest first (at most the limit asked).
    pub followed_by: Vec<EventEntry>,
    /// Later events not listed.
    pub followed_by_omitted: usize,
}

/// The record of decision `id`, listing up to `follow_limit` later events.
pub async fn decision_record(
    pool: &PgPool,
    id: &str,
    follow_limit: usize,
) -> Result<DecisionRecord, AuditError> {
    let found = find_decision(pool, id).await?;
    let mut records = customer_decisions(pool, &found.customer_id, follow_limit).await?;
    let i = records
        .iter()
        .position(|r| r.sequence == found.sequence)
        .ok_or_else(|| AuditError::NotFound(format!("decision {id}")))?;
    Ok(records.swap_remove(i))
}

/// The records of every decision of `customer`, oldest first.
pub async fn customer_decisions(
    pool: &PgPool,
    customer: &str,
    follow_limit: usize,
) -> Result<Vec<DecisionRecord>, AuditError> {
    let (mut events, metadata) = tokio::try_join!(log::stream(pool, customer), async {
        sqlx::query(
            "SELECT sequence, metadata FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'RiskAssessed'",
        )
        .bind(customer_type())
        .bind(customer)
        .fetch_all(pool)
        .await
        .map_err(AuditError::from)
    })?;
    let mut metadata: HashMap<i64, Value> = metadata
        .iter()
        .map(|r| Ok((r.try_get("sequence")?, r.try_get("metadata")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    // "What followed" is stream order.
    events.sort_by_key(|e| e.sequence);
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let CustomerEvent::RiskAssessed(d) = &e.event else {
            continue;
        };
        let metadata = metadata.remove(&e.sequence).unwrap_or(Value::Null);
        out.push(record_of(
            e,
            d,
            metadata,
            &events[..i],
            &events[i + 1..],
            follow_limit,
        ));
    }
    Ok(out)
}

fn record_of(
    e: &LogEvent,
    d: &RiskAssessed,
    metadata: Value,
    before: &[LogEvent],
    after: &[LogEvent],
    follow_limit: usize,
) -> DecisionRecord {
    let t = &d.assessment.trigger;
    // The account's currency, for amounts in words.
    let currency = before.iter().find_map(|b| match &b.event {
        domain::CustomerEvent::CustomerRegistered(r) => Some(r.currency.as_str()),
        _ => None,
    });
    let entry = |e: &LogEvent| EventEntry::of(e, currency);
    let trigger_event = before
        .iter()
        .find(|b| b.sequence == t.sequence && b.checkpoint.position == t.global_position)
        .map(entry);
    DecisionRecord {
        customer_id: e.customer_id.clone(),
        sequence: e.sequence,
        global_position: e.checkpoint.position,
        tx_id: e.checkpoint.tx_id,
        recorded_at: e.recorded_at,
        metadata,
        trigger_event,
        band_before: d.band_before,
        assessment: d.assessment.clone(),
        followed_by: after.iter().take(follow_limit).map(entry).collect(),
        followed_by_omitted: after.len().saturating_sub(follow_limit),
    }
}
