//! Where messages go: the WhatsApp Cloud API, or — when no token is
//! configured — a local inbox that keeps them in memory, so the embedded
//! default runs offline and the demo can show what a customer would see.
//!
//! The local inbox is memory only on purpose: a one-time code shown there is
//! never written to the database or a log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use whatsapp::client::{CloudApiClient, SentMessage};
use whatsapp::errors::SendError;
use whatsapp::model::Template;

use crate::config::{ConfigError, DispatchConfig, WhatsAppSettings};

/// Messages the local inbox keeps (oldest dropped first).
pub const LOCAL_INBOX_CAPACITY: usize = 1_000;

/// A message the local adapter accepted.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalMessage {
    /// `wamid.local.<n>`.
    pub wamid: String,
    /// Recipient.
    pub to: String,
    /// Template name.
    pub template: String,
    /// Language code.
    pub language: String,
    /// Body parameters.
    pub body_params: Vec<String>,
    /// When it was accepted.
    pub sent_at: DateTime<Utc>,
}

/// The local adapter's inbox.
#[derive(Debug, Default)]
pub struct LocalInbox {
    messages: Mutex<VecDeque<LocalMessage>>,
    next: AtomicU64,
}

impl LocalInbox {
    /// Accepts a message.
    fn accept(&self, to: &str, template: &Template) -> SentMessage {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let wamid = format!("wamid.local.{n}");
        let mut messages = self.messages.lock().unwrap_or_else(|e| e.into_inner());
        if messages.len() >= LOCAL_INBOX_CAPACITY {
            messages.pop_front();
        }
        messages.push_back(LocalMessage {
            wamid: wamid.clone(),
            to: to.to_owned(),
            template: template.name.clone(),
            language: template.language.clone(),
            body_params: template.body_params.clone(),
            sent_at: Utc::now(),
        });
        SentMessage { wamid }
    }

    /// The newest messages first, optionally only those to `to`.
    pub fn list(&self, to: Option<&str>, limit: usize) -> Vec<LocalMessage> {
        let messages = self.messages.lock().unwrap_or_else(|e| e.into_inner());
        messages
            .iter()
            .rev()
            .filter(|m| to.is_none_or(|t| m.to == t))
            .take(limit)
            .cloned()
            .collect()
    }
}

/// The dispatcher's way out.
#[derive(Clone, Debug)]
pub enum Adapter {
    /// The real Cloud API (or the fake, by base URL).
    Cloud(CloudApiClient),
    /// No network: messages are kept in memory.
    Local(Arc<LocalInbox>),
}

impl Adapter {
    /// The Cloud API when a token is configured, the local inbox otherwise.
    pub fn from_settings(s: &WhatsAppSettings, d: &DispatchConfig) -> Result<Self, ConfigError> {
        let Some(token) = &s.token else {
            return Ok(Self::Local(Arc::new(LocalInbox::default())));
        };
        let phone_id = s.phone_id.as_deref().ok_or(ConfigError {
            name: "WHATSAPP_PHONE_ID",
            message: "is required when WHATSAPP_TOKEN is set".into(),
        })?;
        CloudApiClient::with_timeout(
            &s.base_url,
            &s.api_version,
            phone_id,
            token.expose(),
            d.send_timeout,
        )
        .map(Self::Cloud)
        .map_err(|e| ConfigError {
            name: "WHATSAPP_BASE_URL",
            message: e.to_string(),
        })
    }

    /// Sends `template` to `to`, tagged with `callback_data` (the alert id)
    /// so status webhooks can be matched to the alert.
    pub async fn send(
        &self,
        to: &str,
        template: &Template,
        callback_data: &str,
    ) -> Result<SentMessage, SendError> {
        match self {
            Self::Cloud(c) => c.send_tracked(to, template, Some(callback_data)).await,
            Self::Local(inbox) => Ok(inbox.accept(to, template)),
        }
    }

    /// The local inbox, when this is the local adapter.
    pub fn local_inbox(&self) -> Option<Arc<LocalInbox>> {
        match self {
            Self::Local(i) => Some(i.clone()),
            Self::Cloud(_) => None,
        }
    }
}
