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
    let mut buf = Vec::with_capacity(512);
    write_canonical(e.payload, &mut buf);
    buf.push(b'\n');
    write_canonical(e.metadata, &mut buf);
    h.update((buf.len() as u64).to_be_bytes());
    h.update(&buf);
    h.update(previous);
    h.finalize().into()
}

/// Writes `v` as JSON with object keys sorted and no whitespace.
pub fn canonical(v: &Value, out: &mut String) {
    let mut buf = Vec::new();
    write_canonical(v, &mut buf);
    out.push_str(&String::from_utf8_lossy(&buf));
}

/// [`canonical`] into bytes, without building strings per key or scalar
/// (this runs for every event appended).
fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                compact(k, out);
                out.push(b':');
                write_canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => compact(other, out),
    }
}

/// A key or scalar as compact JSON.
fn compact<T: serde::Serialize + ?Sized>(x: &T, out: &mut Vec<u8>) {
    // Writing JSON into a Vec cannot fail; a failure would mean a broken
    // serializer, and then the hash must not silently cover less.
    serde_json::to_writer(&mut *out, x).expect("writing JSON into memory cannot fail");
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

    /// The bytes hashed must never change, or every stored chain breaks:
    /// the writer is checked against the first implementation (strings built
    /// per key and scalar), on escapes, unicode, numbers and nesting.
    #[test]
    fn canonical_bytes_are_those_of_the_first_implementation() {
        fn reference(v: &Value, out: &mut String) {
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
                        reference(&map[k], out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        reference(item, out);
                    }
                    out.push(']');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let v = json!({
            "z\"quote": "line\nbreak \u{1F4B3} \\ \u{0007}",
            "amounts": [1, -2, 0.1, 1e300, -0.0, 123456789012345678_i64, 2.5e-8],
            "nested": {"b": null, "a": [true, false, {"é": "ü"}]},
            "": ""
        });
        let (mut ours, mut theirs) = (String::new(), String::new());
        canonical(&v, &mut ours);
        reference(&v, &mut theirs);
        assert_eq!(ours, theirs);
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
