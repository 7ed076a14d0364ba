//! The real adapter: sends template messages to the Cloud API over HTTP.
//!
//! The access token is never logged: [`CloudApiClient`] implements `Debug` by
//! hand and redacts it, and tracing fields only carry the recipient-free
//! template name and outcome codes.
//!
//! # Layout
//! - [`CloudApiClient`]: construction and [`CloudApiClient::send_template`].
//! - [`SentMessage`]: what an accepted send returns.

use std::fmt;
use std::time::Duration;

use crate::errors::SendError;
use crate::model::{ErrorEnvelope, SendResponse, Template};

/// Default base URL of the Graph API.
pub const GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// Default request timeout: the send is retried by the caller if it expires.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An accepted send (HTTP 200): delivery is reported later by webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The `wamid.` id that status webhooks refer to.
    pub wamid: String,
}

/// Client for `POST {base_url}/{api_version}/{phone_number_id}/messages`.
#[derive(Clone)]
pub struct CloudApiClient {
    /// e.g. `https://graph.facebook.com` or the fake's `http://127.0.0.1:port`.
    pub base_url: String,
    /// e.g. `v21.0`.
    pub api_version: String,
    /// The business phone number id.
    pub phone_number_id: String,
    token: String,
    http: reqwest::Client,
}

impl fmt::Debug for CloudApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApiClient")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl CloudApiClient {
    /// A client with the default 10 s timeout.
    pub fn new(
        base_url: &str,
        api_version: &str,
        phone_number_id: &str,
        token: &str,
    ) -> Result<Self, SendError> {
        Self::with_timeout(
            base_url,
            api_version,
            phone_number_id,
            token,
            DEFAULT_TIMEOUT,
        )
    }

    /// A client with an explicit request timeout.
    pub fn with_timeout(
        base_url: &str,
        api_version: &str,
        phone_number_id: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<Self, SendError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| SendError::transport(format!("building http client: {e}")))?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_version: api_version.into(),
            phone_number_id: phone_number_id.into(),
            token: token.into(),
            http,
        })
    }

    /// The messages endpoint URL.
    pub fn messages_url(&self) -> String {
        format!(
            "{}/{}/{}/messages",
            self.base_url, self.api_version, self.phone_number_id
        )
    }

    /// Send an approved template to `to`; `Ok` means *accepted*, not delivered.
    pub async fn send_template(
        &self,
        to: &str,
        template: &Template,
    ) -> Result<SentMessage, SendError> {
        self.send_tracked(to, template, None).await
    }

    /// Like [`Self::send_template`], with `biz_opaque_callback_data` that
    /// WhatsApp echoes in every status webhook of the message: it ties a
    /// status to our alert even when we never learnt the `wamid` (a crash or
    /// timeout between the API accepting the message and us recording it).
    #[tracing::instrument(skip(self, to, template, callback_data), fields(template = %template.name))]
    pub async fn send_tracked(
        &self,
        to: &str,
        template: &Template,
        callback_data: Option<&str>,
    ) -> Result<SentMessage, SendError> {
        let mut request = template.to_request(to);
        request.biz_opaque_callback_data = callback_data.map(str::to_owned);
        let response = self
            .http
            .post(self.messages_url())
            .bearer_auth(&self.token)
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    SendError::transport(transport_text(e))
                } else {
                    SendError::outcome_unknown(transport_text(e))
                }
            })?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::outcome_unknown(transport_text(e)))?;
        if (200..300).contains(&status) {
            let parsed: SendResponse = serde_json::from_slice(&body)
                .map_err(|e| SendError::unparsable(status, format!("success body: {e}")))?;
            return parsed
                .messages
                .into_iter()
                .next()
                .map(|m| SentMessage { wamid: m.id })
                .ok_or_else(|| {
                    SendError::unparsable(status, "success body without messages".into())
                });
        }
        let err = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(env) => SendError::from_api(env.error.code, status, env.error.message),
            Err(_) => SendError::unparsable(status, format!("http {status} without error body")),
        };
        tracing::debug!(code = err.code, http_status = status, retry = ?err.retry, "send rejected");
        Err(err)
    }
}

/// Transport error text without the URL (which is harmless, but keep it short).
fn transport_text(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "request timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        format!("transport error: {}", e.without_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_token() {
        let c = CloudApiClient::new("http://x/", "v21.0", "123", "EAAsecret").expect("client");
        let shown = format!("{c:?}");
        assert!(!shown.contains("EAAsecret"));
        assert!(shown.contains("[redacted]"));
        assert_eq!(c.messages_url(), "http://x/v21.0/123/messages");
    }
}
