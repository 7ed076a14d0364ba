//! Opaque, stable page cursors: the sort key and id of the last row of a
//! page, base64url-encoded JSON. Keyset pagination, so a page never repeats
//! or skips rows because rows were added before or after it; a cursor made
//! for one ordering is refused for another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

use super::params::bad_param;
use super::problem::Problem;

/// Encodes a cursor.
pub fn encode<T: Serialize>(key: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Decodes the `cursor` parameter.
pub fn decode<T: DeserializeOwned>(raw: &str) -> Result<T, Problem> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| bad_param("cursor", "is not a cursor this API issued"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| bad_param("cursor", "is not a cursor this API issued"))
}
