//! Incoming webhooks: signature verification, the subscribe challenge and
//! status-update parsing.
//!
//! Signatures are checked on the raw bytes before any parsing, with a
//! constant-time comparison. Status updates arrive late, twice or out of
//! order, so callers record each one idempotently and keep the furthest state
//! by [`Delivery::rank`].
//!
//! # Layout
//! - [`sign`], [`verify_signature`]: `X-Hub-Signature-256: sha256=<hex>`.
//! - [`verify_challenge`]: the `GET ?hub.mode=subscribe` handshake.
//! - [`parse_statuses`], [`StatusUpdate`], [`Delivery`].

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::model::WebhookPayload;

/// Name of the signature header.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

type HmacSha256 = Hmac<Sha256>;

fn mac_bytes(app_secret: &[u8], body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an
    // empty MAC (which never verifies) rather than panic.
    match HmacSha256::new_from_slice(app_secret) {
        Ok(mut mac) => {
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The header value Meta would send for `body`: `sha256=<lowercase hex>`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac_bytes(app_secret, body)))
}

/// Whether `header` is a valid `sha256=<hex>` signature of `raw_body`.
///
/// A missing or malformed header is a rejection.
pub fn verify_signature(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let expected = mac_bytes(app_secret, raw_body);
    !expected.is_empty() && bool::from(expected.as_slice().ct_eq(given.as_slice()))
}

/// The subscribe handshake: `Some(challenge)` to echo back with 200 when the
/// mode is `subscribe` and the token matches, `None` for a 403.
pub fn verify_challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Option<String> {
    let token_ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected_token.as_bytes())));
    match (mode, challenge) {
        (Some("subscribe"), Some(c)) if token_ok => Some(c.to_string()),
        _ => None,
    }
}

/// Delivery state of a message as reported by status webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Sent to WhatsApp's servers.
    Sent,
    /// Delivered to the device.
    Delivered,
    /// Read by the recipient.
    Read,
    /// Failed; terminal.
    Failed,
}

impl Delivery {
    /// Progress rank: sent < delivered < read; failed is terminal and ranks
    /// highest, so a late `delivered` never overrides `failed`.
    pub fn rank(self) -> u8 {
        match self {
            Delivery::Sent => 1,
            Delivery::Delivered => 2,
            Delivery::Read => 3,
            Delivery::Failed => 4,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
            Delivery::Failed => "failed",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sent" => Some(Delivery::Sent),
            "delivered" => Some(Delivery::Delivered),
            "read" => Some(Delivery::Read),
            "failed" => Some(Delivery::Failed),
            _ => None,
        }
    }

    /// The state to keep given the current one and a new update.
    pub fn furthest(current: Option<Self>, update: Self) -> Self {
        match current {
            Some(c) if c.rank() >= update.rank() => c,
            _ => update,
        }
    }
}

/// One status update, flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The `wamid.` of the message.
    pub wamid: String,
    /// New state.
    pub status: Delivery,
    /// Unix seconds.
    pub timestamp: i64,
    /// Recipient WhatsApp id.
    pub recipient: String,
    /// First error code, on `failed`.
    pub error_code: Option<i64>,
    /// Why it failed, in words: the first error's title, message and
    /// details, as Meta sent them.
    pub error_reason: Option<String>,
    /// The pricing category (`utility`, `authentication`, …), when sent.
    pub pricing_category: Option<String>,
    /// The `biz_opaque_callback_data` the message was sent with.
    pub callback_data: Option<String>,
}

/// Why a webhook body could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Not the webhook JSON shape.
    #[error("malformed webhook body: {0}")]
    Json(#[from] serde_json::Error),
    /// An unknown status name.
    #[error("unknown status {0:?}")]
    UnknownStatus(String),
    /// A timestamp that is not integer seconds.
    #[error("bad timestamp {0:?}")]
    BadTimestamp(String),
}

/// An error's words: title, then the message and details where they add
/// something, at most 1,000 characters.
fn reason_of(e: &crate::model::StatusError) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in [
        Some(e.title.as_str()),
        e.message.as_deref(),
        e.error_data.as_ref().map(|d| d.details.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        let part = part.trim();
        if !part.is_empty() && !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts
        .join(": ")
        .chars()
        .filter(|c| !c.is_control())
        .take(1_000)
        .collect()
}

/// All status updates in a webhook body (other change kinds are skipped).
///
/// Call only after [`verify_signature`] accepted the same raw bytes.
pub fn parse_statuses(raw_body: &[u8]) -> Result<Vec<StatusUpdate>, WebhookError> {
    let payload: WebhookPayload = serde_json::from_slice(raw_body)?;
    let mut out = Vec::new();
    for change in payload.entry.iter().flat_map(|e| e.changes.iter()) {
        for s in &change.value.statuses {
            let status = Delivery::parse(&s.status)
                .ok_or_else(|| WebhookError::UnknownStatus(s.status.clone()))?;
            let timestamp = s
                .timestamp
                .parse::<i64>()
                .map_err(|_| WebhookError::BadTimestamp(s.timestamp.clone()))?;
            out.push(StatusUpdate {
                wamid: s.id.clone(),
                status,
                timestamp,
                recipient: s.recipient_id.clone(),
                error_code: s.errors.as_ref().and_then(|e| e.first()).map(|e| e.code),
                error_reason: s.errors.as_ref().and_then(|e| e.first()).map(reason_of),
                pricing_category: s.pricing.as_ref().and_then(|p| p.category.clone()),
                callback_data: s.biz_opaque_callback_data.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{
      "field":"messages","value":{"messaging_product":"whatsapp",
      "metadata":{"display_phone_number":"15550000000","phone_number_id":"106500000000"},
      "statuses":[{"id":"wamid.HBgL","status":"failed","timestamp":"1749416383",
        "recipient_id":"919800000001",
        "errors":[{"code":131026,"title":"Message undeliverable"}]}]}}]}]}"#;

    #[test]
    fn parses_the_documented_failed_status() {
        let got = parse_statuses(SAMPLE.as_bytes()).expect("parse");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Delivery::Failed);
        assert_eq!(got[0].timestamp, 1_749_416_383);
        assert_eq!(got[0].error_code, Some(131026));
    }

    /// Shapes from Meta's webhook reference: a failure with its words, and a
    /// delivery under the per-message pricing model.
    const FAILED_WITH_WORDS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{
      "field":"messages","value":{"messaging_product":"whatsapp",
      "metadata":{"display_phone_number":"15550000000","phone_number_id":"106500000000"},
      "statuses":[{"id":"wamid.A","status":"failed","timestamp":"1749416383","recipient_id":"919800000001",
        "errors":[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.",
          "message":"This message was not delivered to maintain healthy ecosystem engagement.",
          "error_data":{"details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
          "href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]},
       {"id":"wamid.B","status":"delivered","timestamp":"1749416390","recipient_id":"919800000001",
        "conversation":{"id":"c1","origin":{"type":"utility"}},
        "pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}}]}}]}]}"#;

    #[test]
    fn failures_keep_their_words_and_deliveries_their_pricing_category() {
        let got = parse_statuses(FAILED_WITH_WORDS.as_bytes()).expect("parse");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].error_code, Some(131049));
        assert_eq!(
            got[0].error_reason.as_deref(),
            Some(
                "This message was not delivered to maintain healthy ecosystem engagement.: \
                 In order to maintain a healthy ecosystem engagement, the message failed to be delivered."
            ),
            "the title once (the message repeats it), then the details"
        );
        assert_eq!(got[0].pricing_category, None);
        assert_eq!(got[1].status, Delivery::Delivered);
        assert_eq!(got[1].pricing_category.as_deref(), Some("utility"));
        assert_eq!(got[1].error_reason, None);
    }

    #[test]
    fn signatures_round_trip_and_reject_tampering() {
        let sig = sign(b"secret", b"body");
        assert!(verify_signature(b"secret", b"body", Some(&sig)));
        assert!(!verify_signature(b"secret", b"bodY", Some(&sig)));
        assert!(!verify_signature(b"other", b"body", Some(&sig)));
        assert!(!verify_signature(b"secret", b"body", None));
        assert!(!verify_signature(b"secret", b"body", Some("sha1=00")));
        assert!(!verify_signature(b"secret", b"body", Some("sha256=zz")));
    }

    #[test]
    fn challenge_needs_subscribe_and_the_right_token() {
        assert_eq!(
            verify_challenge(Some("subscribe"), Some("T"), Some("C"), "T"),
            Some("C".into())
        );
        assert_eq!(
            verify_challenge(Some("subscribe"), Some("X"), Some("C"), "T"),
            None
        );
        assert_eq!(
            verify_challenge(Some("other"), Some("T"), Some("C"), "T"),
            None
        );
        assert_eq!(
            verify_challenge(Some("subscribe"), None, Some("C"), "T"),
            None
        );
    }

    #[test]
    fn furthest_state_wins() {
        let mut s = None;
        for u in [Delivery::Read, Delivery::Sent, Delivery::Delivered] {
            s = Some(Delivery::furthest(s, u));
        }
        assert_eq!(s, Some(Delivery::Read));
        assert_eq!(
            Delivery::furthest(Some(Delivery::Failed), Delivery::Delivered),
            Delivery::Failed
        );
    }
}
