//! How a feature state is stored: a version byte and the state in postcard
//! (a compact, documented binary serde format), in `customer_features.state_bin`.
//! Rows written before it hold the state as JSON in `state` instead; both
//! are read, and the next write of a customer moves them to the binary.
//!
//! Why binary: a year of a customer's history is about 16 KB as JSON and
//! reading it back (jsonb to text, then parsing) cost about 170 µs a
//! customer — most of a day-end evaluation, which reads every state.

use domain::features::legacy::FeatureStateV2;
use domain::features::FeatureState;

/// The first byte of a stored state: the encoding's version. Version 1 had
/// no payments list (the state's last field); postcard writes an empty list
/// as one zero byte, so a version-1 state reads as version 2 with it added.
/// Version 2 had no corrections (see `domain::features::legacy`): it is
/// read in its own shape and upcast.
const VERSION: u8 = 3;
const VERSION_WITHOUT_CORRECTIONS: u8 = 2;
const VERSION_WITHOUT_PAYMENTS: u8 = 1;

/// The stored bytes of `state`.
pub fn encode(state: &FeatureState) -> Result<Vec<u8>, String> {
    let mut out = vec![VERSION];
    let body =
        postcard::to_allocvec(state).map_err(|e| format!("feature state does not encode: {e}"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The state stored as `bin` (preferred) or as JSON `json`.
pub fn decode(bin: Option<&[u8]>, json: Option<&str>) -> Result<FeatureState, String> {
    match (bin, json) {
        (Some(bytes), _) => match bytes.split_first() {
            Some((&VERSION, body)) => {
                postcard::from_bytes(body).map_err(|e| format!("unreadable binary state: {e}"))
            }
            Some((&VERSION_WITHOUT_CORRECTIONS, body)) => legacy(body),
            Some((&VERSION_WITHOUT_PAYMENTS, body)) => {
                let mut body = body.to_vec();
                body.push(0);
                legacy(&body)
            }
            Some((v, _)) => Err(format!("binary state of unknown version {v}")),
            None => Err("empty binary state".into()),
        },
        (None, Some(text)) => {
            serde_json::from_str(text).map_err(|e| format!("unreadable JSON state: {e}"))
        }
        (None, None) => Err("no state stored".into()),
    }
}

/// A version-2 body (or a version-1 body with its payments list added).
fn legacy(body: &[u8]) -> Result<FeatureState, String> {
    postcard::from_bytes::<FeatureStateV2>(body)
        .map(FeatureState::from)
        .map_err(|e| format!("unreadable binary state: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::features::FeatureState;

    #[test]
    fn a_state_reads_back_the_same_from_binary_and_from_json() {
        let state = FeatureState::default();
        let bin = encode(&state).expect("encodes");
        assert_eq!(bin[0], VERSION);
        assert_eq!(decode(Some(&bin), None).expect("binary"), state);
        let json = serde_json::to_string(&state).expect("json");
        assert_eq!(decode(None, Some(&json)).expect("json"), state);
        assert!(decode(Some(&[9, 0]), None).is_err());
        assert!(decode(Some(&[]), None).is_err());
        assert!(decode(None, None).is_err());
    }

    /// The state's shape in version 2, written out here from that version's
    /// definition, to make version-2 bytes with.
    type At = chrono::DateTime<chrono::Utc>;
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Day {
        purchases: i64,
        cash: i64,
        refunds: i64,
        net: i64,
        purchase_count: u32,
        by_group: [i64; 10],
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Statement {
        issued_at: At,
        due_end: At,
        closing: i64,
        minimum: i64,
        paid: i64,
        late_at: Option<At>,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Limit {
        at: At,
        limit: i64,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Report {
        at: At,
        days: u32,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Paid {
        at: At,
        amount: i64,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Version2 {
        first_at: Option<At>,
        latest_at: Option<At>,
        balance: i64,
        limits: Vec<Limit>,
        days: std::collections::BTreeMap<i64, Day>,
        over_limit: Vec<At>,
        statements: Vec<Statement>,
        dpd: Vec<Report>,
        payments: Vec<Paid>,
    }

    #[test]
    fn states_stored_before_corrections_read_back_upcast() {
        let json = serde_json::json!({
            "first_at": "2026-01-01T00:00:00Z", "latest_at": "2026-03-10T09:00:00Z",
            "balance": 4750,
            "limits": [{"at": "2026-01-01T00:00:00Z", "limit": 100000}],
            "days": {"20485": {"purchases": 5000, "cash": 0, "refunds": 0, "net": 5000,
                "purchase_count": 1, "by_group": [5000, 0, 0, 0, 0, 0, 0, 0, 0, 0]}},
            "over_limit": [],
            "statements": [{"issued_at": "2026-03-01T02:00:00Z", "due_end": "2026-03-22T00:00:00Z",
                "closing": 5000, "minimum": 250, "paid": 250, "late_at": null}],
            "dpd": [{"at": "2026-03-09T01:00:00Z", "days": 0}],
            "payments": [{"at": "2026-03-10T09:00:00Z", "amount": 250}]
        });
        let state: FeatureState = serde_json::from_value(json.clone()).expect("a state");
        let old: Version2 = serde_json::from_value(json).expect("version-2 shape");
        let mut bytes = vec![VERSION_WITHOUT_CORRECTIONS];
        bytes.extend(postcard::to_allocvec(&old).expect("encodes"));
        assert_eq!(decode(Some(&bytes), None).expect("version 2"), state);
        // Version 1: the same without the (last) payments list.
        let without = Version2 {
            payments: Vec::new(),
            ..old
        };
        let mut v1 = vec![VERSION_WITHOUT_PAYMENTS];
        v1.extend(postcard::to_allocvec(&without).expect("encodes"));
        assert_eq!(v1.pop(), Some(0), "an empty payments list is one zero byte");
        let mut expected = serde_json::to_value(&state).expect("json");
        expected["payments"] = serde_json::json!([]);
        let expected: FeatureState = serde_json::from_value(expected).expect("state");
        assert_eq!(decode(Some(&v1), None).expect("version 1"), expected);
    }
}
