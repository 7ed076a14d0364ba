//! Wire types parse the Cloud API's documented success and error bodies.

use whatsapp::model::{ErrorEnvelope, SendResponse};
use whatsapp::{errors::classify, Retry};

#[test]
fn documented_success_body_parses() {
    let body = r#"{"messaging_product":"whatsapp",
      "contacts":[{"input":"+919800000001","wa_id":"919800000001"}],
      "messages":[{"id":"wamid.HBgL","message_status":"accepted"}]}"#;
    let parsed: SendResponse = serde_json::from_str(body).expect("parse");
    assert_eq!(parsed.contacts[0].wa_id, "919800000001");
    assert_eq!(parsed.messages[0].id, "wamid.HBgL");
    assert_eq!(
        parsed.messages[0].message_status.as_deref(),
        Some("accepted")
    );
}

#[test]
fn documented_error_body_parses_and_classifies_by_code() {
    let body = r#"{"error":{"message":"(#131056) pair rate limit hit","type":"OAuthException",
      "code":131056,"error_data":{"messaging_product":"whatsapp","details":"..."},
      "fbtrace_id":"A4O5"}}"#;
    let parsed: ErrorEnvelope = serde_json::from_str(body).expect("parse");
    assert_eq!(parsed.error.code, 131056);
    assert_eq!(parsed.error.kind, "OAuthException");
    assert_eq!(parsed.error.fbtrace_id.as_deref(), Some("A4O5"));
    assert!(matches!(classify(parsed.error.code), Retry::After(_)));
}
