//! Signed status webhooks from the fake back to the application.
//!
//! The sequence is planned under the state lock (so the seeded RNG gives the
//! same order every run) and posted from a spawned task, one status per
//! webhook, each signed with `X-Hub-Signature-256`. Failed posts are retried
//! a few times, as Meta does.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::seq::SliceRandom;

use super::state::{lock, Inner, Shared};
use super::{FakeConfig, WebhookTarget};
use crate::model::{
    Change, ChangeValue, Entry, Metadata, Pricing, StatusError, StatusErrorData, WebhookPayload,
    WireStatus,
};
use crate::webhook::{sign, Delivery};

const ATTEMPTS: u32 = 3;

/// Statuses to post for a message to `to`, in posting order.
pub(crate) fn plan(config: &FakeConfig, inner: &mut Inner, to: &str) -> Vec<Delivery> {
    let base = if config.undeliverable.iter().any(|u| u == to) {
        vec![Delivery::Failed]
    } else {
        vec![Delivery::Sent, Delivery::Delivered, Delivery::Read]
    };
    let mut out: Vec<Delivery> = if config.duplicate_callbacks {
        base.iter().flat_map(|d| [*d, *d]).collect()
    } else {
        base
    };
    if config.out_of_order_callbacks {
        out.shuffle(&mut inner.rng);
    }
    out
}

/// The webhook body for one status.
pub(crate) fn payload(
    config: &FakeConfig,
    message: &Tracked,
    status: Delivery,
    ts: u64,
) -> WebhookPayload {
    // As Meta sends them: a failure with its title, message and details; a
    // sent, delivered or read status with the message's pricing.
    let errors = (status == Delivery::Failed).then(|| {
        vec![StatusError {
            code: 131026,
            title: "Message undeliverable".into(),
            message: Some("Message undeliverable".into()),
            error_data: Some(StatusErrorData {
                details: "Unable to deliver message. Reasons can include: the recipient's phone \
                          number is not a WhatsApp phone number."
                    .into(),
            }),
        }]
    });
    let pricing = (status != Delivery::Failed).then(|| Pricing {
        billable: Some(true),
        pricing_model: Some("PMP".into()),
        category: Some(message.category.into()),
    });
    WebhookPayload {
        object: "whatsapp_business_account".into(),
        entry: vec![Entry {
            id: "fake-waba".into(),
            changes: vec![Change {
                field: "messages".into(),
                value: ChangeValue {
                    messaging_product: "whatsapp".into(),
                    metadata: Some(Metadata {
                        display_phone_number: "15550000000".into(),
                        phone_number_id: config.phone_number_id.clone(),
                    }),
                    statuses: vec![WireStatus {
                        id: message.wamid.clone(),
                        status: status.as_str().into(),
                        timestamp: ts.to_string(),
                        recipient_id: message.wa_id.clone(),
                        errors,
                        biz_opaque_callback_data: message.callback_data.clone(),
                        pricing,
                    }],
                },
            }],
        }],
    }
}

/// Which message a status is about.
pub(crate) struct Tracked {
    /// The `wamid.` returned.
    pub wamid: String,
    /// Recipient WhatsApp id.
    pub wa_id: String,
    /// The sender's `biz_opaque_callback_data`, echoed.
    pub callback_data: Option<String>,
    /// The template's pricing category (`utility`, `authentication`).
    pub category: &'static str,
}

/// Post the planned statuses in the background.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    target: WebhookTarget,
    message: Tracked,
    plan: Vec<Delivery>,
) {
    tokio::spawn(async move {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for status in plan {
            // Timestamps follow the real progression even when posted shuffled.
            let ts = now + u64::from(status.rank());
            let body = match serde_json::to_vec(&payload(&shared.config, &message, status, ts)) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "fake: cannot encode status webhook");
                    continue;
                }
            };
            let signature = sign(&target.app_secret, &body);
            for attempt in 0..ATTEMPTS {
                let sent = shared
                    .http
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &signature)
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        lock(&shared.inner).callbacks_delivered += 1;
                        break;
                    }
                    other => {
                        tracing::debug!(
                            attempt,
                            ok = other.is_ok(),
                            "fake: status webhook not accepted"
                        );
                        tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                    }
                }
            }
        }
    });
}
