//! The tamper-evidence chain: each event's hash covers its canonical bytes and
//! the previous event's hash on the same stream. Canonical JSON sorts object
//! keys explicitly, so the hash does not depend on how PostgreSQL's jsonb or a
//! serde feature orders them.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash before a stream's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// What identifies an event's content for hashing.
pub struct EventBytes<'a> {
    /// Aggregate type.
    pub aggregate_type: &'a str,
    /// Stream id.
    pub aggregate_id: &'a str,
    /// Position in the stream.
    pub sequence: i64,
    /// Event type name.
    pub event_type: &'a str,
    /// Payload version.
    pub event_version: &'a str,
    /// Payload.
    pub payload: &'a Value,
    /// Metadata.
    pub metadata: &'a Value,
}

/// `sha256("er-event-v1" ‖ fields ‖ canonical payload ‖ canonical metadata ‖ previous)`.
pub fn chain(previous: &[u8; 32], e: &EventBytes<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"er-event-v1\n");
    for part in [
        e.aggregate_type,
        e.aggregate_id,
        &e.sequence.to_string(),
        e.event_type,
        e.event_version,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut buf = String::new();
    canonical(e.payload, &mut buf);
    buf.push('\n');
    canonical(e.metadata, &mut buf);
    h.update((buf.len() as u64).to_be_bytes());
    h.update(buf.as_bytes());
    h.update(previous);
    h.finalize().into()
}

/// Writes `v` as JSON with object keys sorted and no whitespace.
pub fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_does_not_depend_on_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).expect("json");
        let (mut sa, mut sb) = (String::new(), String::new());
        canonical(&a, &mut sa);
        canonical(&b, &mut sb);
        assert_eq!(sa, sb);
        assert_eq!(sa, r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn any_change_changes_the_hash() {
        let payload = json!({"amount_minor": 500});
        let meta = json!({"actor": "bank"});
        let base = EventBytes {
            aggregate_type: "customer",
            aggregate_id: "C1",
            sequence: 2,
            event_type: "TransactionRecorded",
            event_version: "1",
            payload: &payload,
            metadata: &meta,
        };
        let h = chain(&GENESIS, &base);
        let other_payload = json!({"amount_minor": 501});
        assert_ne!(
            h,
            chain(
                &GENESIS,
                &EventBytes {
                    payload: &other_payload,
                    ..base
                }
            )
        );
        let base = EventBytes {
            payload: &payload,
            ..base
        };
        assert_ne!(h, chain(&[1; 32], &base));
        assert_ne!(
            h,
            chain(
                &GENESIS,
                &EventBytes {
                    sequence: 3,
                    ..base
                }
            )
        );
    }
}
