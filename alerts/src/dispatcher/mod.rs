//! The dispatcher: claims due alerts from `alert_outbox`, sends them through
//! the adapter, and records the outcome on the customer's stream.
//!
//! # Exactly once, and where it stops
//! - A claim marks the row in flight (committed) *before* the send, with
//!   `FOR UPDATE SKIP LOCKED` so several processes never claim one row.
//! - The message carries the alert id as `biz_opaque_callback_data`; status
//!   webhooks echo it, so an accepted message is known even if its answer
//!   was lost (timeout) or the process died before recording it.
//! - A row whose send outcome is unknown is not sent again until the
//!   reconcile window passes without any status webhook for it. Only then is
//!   it re-sent — so a duplicate needs the API to accept the message, the
//!   answer to be lost, *and* no status webhook within the window.
//! - Retryable errors back off exponentially with full jitter up to
//!   `max_attempts`; permanent ones fail at once; a missing template (132001)
//!   falls back to `hello_world` when the operator enabled it.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::customer::{AlertMessage, SendFailure};
use domain::Customer;
use futures::StreamExt;
use sqlx::{PgPool, Row};
use store::CommandBus;
use tokio::sync::{watch, Notify};
use whatsapp::model::Template;

mod codes;
mod outcomes;

pub use codes::CodeSender;

use crate::adapter::Adapter;
use crate::config::DispatchConfig;
use crate::pacing::Pacer;
use outcomes::{external, failure};

/// WhatsApp's "template does not exist in this language / not approved".
const TEMPLATE_MISSING: i64 = 132001;

/// Why a dispatch pass stopped: the database, a row it cannot read, or a
/// command the bus could not record (a store error, not a refusal).
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored row is not what the dispatcher wrote.
    #[error("{0}")]
    Corrupt(String),
    /// Recording an outcome on a stream failed.
    #[error("{0}")]
    Command(String),
}

/// A claimed row.
#[derive(Debug)]
struct Claimed {
    alert_id: String,
    customer_id: String,
    recipient: String,
    message: AlertMessage,
    fallback: Option<AlertMessage>,
    attempts: u32,
    was_in_flight: bool,
    wamid: Option<String>,
    failures: Vec<SendFailure>,
    fallback_used: bool,
    /// What the row sends.
    kind: RowKind,
    /// The login stream of an `otp` row.
    stream_id: Option<String>,
    /// The sealed code of an `otp` row.
    sealed: Option<String>,
    raised_at: chrono::DateTime<Utc>,
}

/// What an outbox row sends (its `kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowKind {
    /// A customer alert (`alert`).
    Alert,
    /// A one-time sign-in code, built and sealed at send time (`otp`).
    Code,
}

impl RowKind {
    fn parse(s: &str) -> Result<Self, DispatchError> {
        match s {
            "alert" => Ok(Self::Alert),
            "otp" => Ok(Self::Code),
            other => Err(DispatchError::Corrupt(format!(
                "alert_outbox.kind {other:?} is neither alert nor otp"
            ))),
        }
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Rows claimed.
    pub claimed: usize,
    /// Recorded `AlertSent`.
    pub sent: usize,
    /// Recorded `AlertFailed`.
    pub failed: usize,
    /// Scheduled for a retry (or waiting for the recipient's turn).
    pub deferred: usize,
}

/// Sends due alerts.
pub struct Dispatcher {
    pool: PgPool,
    bus: CommandBus<Customer>,
    codes: Option<CodeSender>,
    adapter: Adapter,
    config: DispatchConfig,
    pacer: Pacer,
    wake: Arc<Notify>,
}

enum Outcome {
    Sent,
    Failed,
    Deferred,
}

impl Dispatcher {
    /// A dispatcher sending through `adapter`, woken by `wake`.
    pub fn new(
        pool: PgPool,
        bus: CommandBus<Customer>,
        adapter: Adapter,
        config: DispatchConfig,
        wake: Arc<Notify>,
    ) -> Self {
        let pacer = Pacer::new(config.rate_per_sec, config.recipient_interval);
        Self {
            pool,
            bus,
            codes: None,
            adapter,
            config,
            pacer,
            wake,
        }
    }

    /// Also send one-time codes (rows of kind `otp`).
    pub fn with_codes(mut self, codes: CodeSender) -> Self {
        self.codes = Some(codes);
        self
    }

    /// Claims up to one batch of due rows and settles each.
    pub async fn dispatch_once(&self) -> Result<PassReport, DispatchError> {
        let claimed = self.claim().await?;
        let mut report = PassReport {
            claimed: claimed.len(),
            ..PassReport::default()
        };
        let outcomes: Vec<Result<Outcome, DispatchError>> = futures::stream::iter(claimed)
            .map(|c| self.settle(c))
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        for o in outcomes {
            match o? {
                Outcome::Sent => report.sent += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Deferred => report.deferred += 1,
            }
        }
        Ok(report)
    }

    /// Dispatches until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff_wait = Duration::from_millis(100);
        while !*shutdown.borrow() {
            match self.dispatch_once().await {
                Ok(r) if r.claimed > 0 => {
                    backoff_wait = Duration::from_millis(100);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "alert outbox unavailable; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff_wait) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff_wait = (backoff_wait * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn claim(&self) -> Result<Vec<Claimed>, DispatchError> {
        let rows = sqlx::query(
            "WITH due AS ( \
                 SELECT alert_id, in_flight_since AS prior FROM alert_outbox \
                 WHERE state = 'pending' AND next_attempt_at <= now() AND ( \
                     in_flight_since IS NULL \
                     OR (wamid IS NOT NULL AND in_flight_since < now() - make_interval(secs => $2)) \
                     OR in_flight_since < now() - make_interval(secs => $3)) \
                 ORDER BY next_attempt_at, alert_id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             UPDATE alert_outbox o SET in_flight_since = now(), updated_at = now(), \
                 attempts = o.attempts + CASE WHEN o.wamid IS NULL THEN 1 ELSE 0 END \
             FROM due WHERE o.alert_id = due.alert_id \
             RETURNING o.alert_id, o.customer_id, o.recipient, o.message, o.fallback, o.attempts, \
                 due.prior IS NOT NULL AS was_in_flight, o.wamid, o.failures, o.fallback_used, \
                 o.kind, o.stream_id, o.sealed, o.raised_at",
        )
        .bind(self.config.batch)
        .bind(self.config.lease.as_secs_f64())
        .bind(self.config.reconcile_after.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let alert_id: String = r.try_get("alert_id")?;
            let decode = |col: &str| -> Result<serde_json::Value, sqlx::Error> { r.try_get(col) };
            let kind = RowKind::parse(r.try_get("kind")?)?;
            let message = if kind == RowKind::Code {
                // The code's message is built at send time from the sealed code.
                AlertMessage {
                    template: self.config.otp_template.0.clone(),
                    language: self.config.otp_template.1.clone(),
                    body_params: Vec::new(),
                }
            } else {
                serde_json::from_value(decode("message")?)
                    .map_err(|e| DispatchError::Corrupt(format!("unreadable outbox row: {e}")))?
            };
            let fallback = r
                .try_get::<Option<serde_json::Value>, _>("fallback")?
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| DispatchError::Corrupt(format!("unreadable outbox row: {e}")))?;
            let failures = serde_json::from_value(decode("failures")?).unwrap_or_default();
            out.push(Claimed {
                alert_id,
                customer_id: r.try_get("customer_id")?,
                recipient: r.try_get("recipient")?,
                message,
                fallback,
                attempts: u32::try_from(r.try_get::<i32, _>("attempts")?).unwrap_or(0),
                was_in_flight: r.try_get("was_in_flight")?,
                wamid: r.try_get("wamid")?,
                failures,
                fallback_used: r.try_get("fallback_used")?,
                kind,
                stream_id: r.try_get("stream_id")?,
                sealed: r.try_get("sealed")?,
                raised_at: r.try_get("raised_at")?,
            });
        }
        Ok(out)
    }

    /// Sends (or settles) one claimed alert.
    async fn settle(&self, mut c: Claimed) -> Result<Outcome, DispatchError> {
        if c.kind == RowKind::Code {
            if let Some(wamid) = c.wamid.clone() {
                return self.record_code(&c, Some(wamid), None, "sent").await;
            }
            return self.send_code(c).await;
        }
        if let Some(wamid) = c.wamid.clone() {
            // A status webhook already told us WhatsApp accepted it.
            return self.record_sent(&c, wamid).await;
        }
        if c.was_in_flight {
            c.failures.push(failure(
                c.attempts.saturating_sub(1),
                None,
                "outcome unknown: no answer and no status webhook within the reconcile window",
            ));
            if c.attempts > self.config.max_attempts {
                return self
                    .record_failed(&c, None, "retries exhausted".into(), false)
                    .await;
            }
        }
        if let Err(wait) = self.pacer.take_recipient_turn(&c.recipient) {
            return self.release(&c, wait).await;
        }
        loop {
            let use_fallback = c.fallback_used && c.fallback.is_some();
            let message = match (&c.fallback, use_fallback) {
                (Some(f), true) => f,
                _ => &c.message,
            };
            let template = Template {
                name: message.template.clone(),
                language: message.language.clone(),
                body_params: message.body_params.clone(),
                copy_code: None,
            };
            self.pacer.throughput_slot().await;
            match self
                .adapter
                .send(&c.recipient, &template, &c.alert_id)
                .await
            {
                Ok(sent) => {
                    // Remember the id first: if we die before the event is
                    // recorded, the next claim settles the row from it.
                    sqlx::query("UPDATE alert_outbox SET wamid = $2 WHERE alert_id = $1")
                        .bind(&c.alert_id)
                        .bind(&sent.wamid)
                        .execute(&self.pool)
                        .await?;
                    return self.record_sent(&c, sent.wamid).await;
                }
                Err(e)
                    if e.code == TEMPLATE_MISSING && c.fallback.is_some() && !c.fallback_used =>
                {
                    c.failures
                        .push(failure(c.attempts, Some(e.code), &e.message));
                    c.fallback_used = true;
                    sqlx::query("UPDATE alert_outbox SET fallback_used = true WHERE alert_id = $1")
                        .bind(&c.alert_id)
                        .execute(&self.pool)
                        .await?;
                    tracing::warn!(alert = %c.alert_id, template = %c.message.template, "template missing; sending the fallback");
                }
                Err(e) => return self.after_error(c, e).await,
            }
        }
    }
}
