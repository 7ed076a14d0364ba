//! How a feature state is stored: a version byte and the state in postcard
//! (a compact, documented binary serde format), in `customer_features.state_bin`.
//! Rows written before it hold the state as JSON in `state` instead; both
//! are read, and the next write of a customer moves them to the binary.
//!
//! Why binary: a year of a customer's history is about 16 KB as JSON and
//! reading it back (jsonb to text, then parsing) cost about 170 µs a
//! customer — most of a day-end evaluation, which reads every state.

use domain::features::FeatureState;

/// The first byte of a stored state: the encoding's version. Version 1 had
/// no payments list (the state's last field); postcard writes an empty list
/// as one zero byte, so a version-1 state reads as version 2 with it added.
const VERSION: u8 = 2;
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
            Some((&VERSION_WITHOUT_PAYMENTS, body)) => {
                let mut body = body.to_vec();
                body.push(0);
                postcard::from_bytes(&body).map_err(|e| format!("unreadable binary state: {e}"))
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
        // Version 1: the same state without its (last) payments list.
        let mut v1 = bin.clone();
        assert_eq!(v1.pop(), Some(0), "an empty payments list is one zero byte");
        v1[0] = VERSION_WITHOUT_PAYMENTS;
        assert_eq!(decode(Some(&v1), None).expect("version 1"), state);
        assert!(decode(Some(&[9, 0]), None).is_err());
        assert!(decode(Some(&[]), None).is_err());
        assert!(decode(None, None).is_err());
    }
}
