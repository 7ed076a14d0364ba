//! Wire types of the Cloud API, field for field, and the [`Template`] builder.
//!
//! # Layout
//! - Send: [`SendRequest`] → [`SendResponse`] or [`ErrorEnvelope`].
//! - Webhooks: [`WebhookPayload`] down to [`WireStatus`].
//! - [`Template`]: what callers build; [`Template::to_request`] renders it.

use serde::{Deserialize, Serialize};

/// `POST /{version}/{phone_number_id}/messages` body for a template message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Always `"whatsapp"`.
    pub messaging_product: String,
    /// Always `"individual"`.
    pub recipient_type: String,
    /// Recipient phone number in international format.
    pub to: String,
    /// Always `"template"` here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The template to send.
    pub template: WireTemplate,
    /// Echoed back in the message's status webhooks (at most 512 chars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
}

/// The `template` object of a send request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireTemplate {
    /// Approved template name.
    pub name: String,
    /// Template language.
    pub language: Language,
    /// Body and button components; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// `{"code": "en_US"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Language {
    /// Language (and locale) code, e.g. `en` or `en_US`.
    pub code: String,
}

/// A template component: `body`, or `button` with `sub_type` and `index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// `"body"` or `"button"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `"url"` for the copy-code button of authentication templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// Button position as a string, e.g. `"0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Text parameters in placeholder order.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
}

/// `{"type":"text","text":"..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Always `"text"` here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The substituted value.
    #[serde(default)]
    pub text: String,
}

impl Parameter {
    /// A text parameter.
    pub fn text(value: &str) -> Self {
        Self {
            kind: "text".into(),
            text: value.into(),
        }
    }
}

/// HTTP 200 body: the message was *accepted*, not delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendResponse {
    /// Always `"whatsapp"`.
    pub messaging_product: String,
    /// The recipient as given and as WhatsApp knows it.
    pub contacts: Vec<Contact>,
    /// The accepted message(s).
    pub messages: Vec<AcceptedMessage>,
}

/// `{"input": "+9198...", "wa_id": "9198..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Number as sent in `to`.
    pub input: String,
    /// WhatsApp id (digits only).
    pub wa_id: String,
}

/// `{"id": "wamid....", "message_status": "accepted"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedMessage {
    /// The `wamid.` id that status webhooks refer to.
    pub id: String,
    /// `"accepted"` for templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_status: Option<String>,
}

/// Error body: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ApiError,
}

/// The `error` object of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Human-readable message, e.g. `(#131056) ... pair rate limit hit`.
    pub message: String,
    /// e.g. `OAuthException`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The code to decide on (never the HTTP status).
    pub code: i64,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData>,
    /// Meta trace id for support requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
}

/// `{"messaging_product": "whatsapp", "details": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorData {
    /// Always `"whatsapp"`.
    pub messaging_product: String,
    /// Longer explanation.
    pub details: String,
}

/// Top-level webhook POST body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// `"whatsapp_business_account"`.
    pub object: String,
    /// One entry per business account.
    pub entry: Vec<Entry>,
}

/// One `entry` of a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// WABA id.
    pub id: String,
    /// Changes; status updates have `field == "messages"`.
    pub changes: Vec<Change>,
}

/// One `change` of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `"messages"` for message and status updates.
    pub field: String,
    /// The change itself.
    pub value: ChangeValue,
}

/// The `value` of a change; only the parts this crate reads are typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeValue {
    /// Always `"whatsapp"`.
    pub messaging_product: String,
    /// Which business number the update concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Delivery status updates (absent for inbound messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<WireStatus>,
}

/// `metadata` of a change value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Display number of the business phone.
    pub display_phone_number: String,
    /// Phone number id used in send URLs.
    pub phone_number_id: String,
}

/// One status update as sent by Meta (timestamp is a string of seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireStatus {
    /// The `wamid.` of the message.
    pub id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    /// Unix seconds, as a string.
    pub timestamp: String,
    /// Recipient WhatsApp id.
    pub recipient_id: String,
    /// Present on `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<StatusError>>,
    /// The `biz_opaque_callback_data` the message was sent with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// What the message costs (on sent and delivered statuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// `{"code": 131049, "title": "…", "message": "…", "error_data":
/// {"details": "…"}}` on a failed status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusError {
    /// Error code, same table as send errors.
    pub code: i64,
    /// Short title.
    #[serde(default)]
    pub title: String,
    /// The message (often the title again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why, in Meta's words (e.g. "This message was not delivered to
    /// maintain healthy ecosystem engagement.").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<StatusErrorData>,
}

/// `error_data` of a status error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusErrorData {
    /// The explanation.
    #[serde(default)]
    pub details: String,
}

/// `pricing` of a status (the per-message pricing model): what the message
/// costs the bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// Whether it is charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// e.g. `PMP` (per-message pricing) or `CBP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_model: Option<String>,
    /// `utility`, `authentication`, `marketing`, `service`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// A template to send: utility (body parameters) or authentication (OTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Approved template name.
    pub name: String,
    /// Language code the template was approved in.
    pub language: String,
    /// Body parameters in placeholder order.
    pub body_params: Vec<String>,
    /// OTP for the copy-code button of an authentication template.
    pub copy_code: Option<String>,
}

impl Template {
    /// A utility template (e.g. a risk alert) with body parameters.
    pub fn utility(name: &str, language: &str, body_params: &[&str]) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            body_params: body_params.iter().map(|p| (*p).to_string()).collect(),
            copy_code: None,
        }
    }

    /// An authentication template: the code is the body parameter and the
    /// copy-code button's URL parameter.
    pub fn authentication(name: &str, language: &str, code: &str) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            body_params: vec![code.into()],
            copy_code: Some(code.into()),
        }
    }

    /// The `components` array as the API expects it.
    pub fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        if !self.body_params.is_empty() {
            out.push(Component {
                kind: "body".into(),
                sub_type: None,
                index: None,
                parameters: self
                    .body_params
                    .iter()
                    .map(|p| Parameter::text(p))
                    .collect(),
            });
        }
        if let Some(code) = &self.copy_code {
            out.push(Component {
                kind: "button".into(),
                sub_type: Some("url".into()),
                index: Some("0".into()),
                parameters: vec![Parameter::text(code)],
            });
        }
        out
    }

    /// The full send request for recipient `to`.
    pub fn to_request(&self, to: &str) -> SendRequest {
        SendRequest {
            messaging_product: "whatsapp".into(),
            recipient_type: "individual".into(),
            to: to.into(),
            kind: "template".into(),
            template: WireTemplate {
                name: self.name.clone(),
                language: Language {
                    code: self.language.clone(),
                },
                components: self.components(),
            },
            biz_opaque_callback_data: None,
        }
    }
}
