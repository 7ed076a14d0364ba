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
use commands::{CommandBus, CommandError, Metadata};
use domain::customer::{
    Addressed, AlertFailed, AlertMessage, AlertSent, CustomerCommand, SendFailure,
    MAX_FAILURES_KEPT,
};
use domain::values::{CustomerId, ExternalId};
use domain::Customer;
use futures::StreamExt;
use rand::Rng;
use sqlx::{PgPool, Row};
use tokio::sync::{watch, Notify};
use whatsapp::errors::{backoff, Retry, SendError};
use whatsapp::model::Template;

mod codes;

pub use codes::CodeSender;

use crate::adapter::Adapter;
use crate::config::DispatchConfig;
use crate::pacing::Pacer;

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

    async fn after_error(&self, mut c: Claimed, e: SendError) -> Result<Outcome, DispatchError> {
        let code = (e.code > 0).then_some(e.code);
        c.failures.push(failure(c.attempts, code, &e.message));
        tracing::debug!(alert = %c.alert_id, code = e.code, retry = ?e.retry, "send failed");
        if !e.retry.is_retryable() {
            return self.record_failed(&c, code, e.message, true).await;
        }
        if e.maybe_accepted {
            // It may have been delivered: keep the row in flight so only a
            // status webhook or the reconcile window settles it.
            sqlx::query(
                "UPDATE alert_outbox SET in_flight_since = now(), failures = $2, updated_at = now() \
                 WHERE alert_id = $1",
            )
            .bind(&c.alert_id)
            .bind(failures_json(&c.failures))
            .execute(&self.pool)
            .await?;
            return Ok(Outcome::Deferred);
        }
        if c.attempts >= self.config.max_attempts {
            let reason = format!("retries exhausted: {}", e.message);
            if c.kind == RowKind::Code {
                return self.record_code(&c, None, Some(reason), "failed").await;
            }
            return self.record_failed(&c, code, reason, false).await;
        }
        let jitter: f64 = rand::thread_rng().gen();
        let mut wait = backoff(
            c.attempts.saturating_sub(1),
            millis(self.config.backoff_base),
            millis(self.config.backoff_cap),
            jitter,
        );
        if let Retry::After(hint) = e.retry {
            wait = wait.max(hint * 4u32.saturating_pow(c.attempts.saturating_sub(1).min(4)));
        }
        sqlx::query(
            "UPDATE alert_outbox SET in_flight_since = NULL, failures = $2, updated_at = now(), \
                 next_attempt_at = now() + make_interval(secs => $3) WHERE alert_id = $1",
        )
        .bind(&c.alert_id)
        .bind(failures_json(&c.failures))
        .bind(wait.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(Outcome::Deferred)
    }

    /// Gives the row back without counting an attempt.
    async fn release(&self, c: &Claimed, wait: Duration) -> Result<Outcome, DispatchError> {
        sqlx::query(
            "UPDATE alert_outbox SET in_flight_since = NULL, attempts = attempts - 1, \
                 failures = $2, next_attempt_at = now() + make_interval(secs => $3), \
                 updated_at = now() WHERE alert_id = $1",
        )
        .bind(&c.alert_id)
        .bind(failures_json(&c.failures))
        .bind(wait.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(Outcome::Deferred)
    }

    async fn record_sent(&self, c: &Claimed, wamid: String) -> Result<Outcome, DispatchError> {
        let command = CustomerCommand::RecordAlertSent(Box::new(AlertSent {
            alert_id: external(&c.alert_id)?,
            wamid: wamid.clone(),
            fallback_used: c.fallback_used,
            attempts: c.attempts.max(1),
            failures: kept(&c.failures),
            sent_at: Utc::now(),
        }));
        self.record(c, command, "sent").await?;
        sqlx::query(
            "UPDATE alert_outbox SET state = 'sent', wamid = $2, in_flight_since = NULL, \
                 failures = $3, updated_at = now() WHERE alert_id = $1",
        )
        .bind(&c.alert_id)
        .bind(&wamid)
        .bind(failures_json(&c.failures))
        .execute(&self.pool)
        .await?;
        Ok(Outcome::Sent)
    }

    async fn record_failed(
        &self,
        c: &Claimed,
        code: Option<i64>,
        reason: String,
        permanent: bool,
    ) -> Result<Outcome, DispatchError> {
        tracing::warn!(alert = %c.alert_id, ?code, %reason, permanent, "alert not sent");
        let command = CustomerCommand::RecordAlertFailed(Box::new(AlertFailed {
            alert_id: external(&c.alert_id)?,
            code,
            reason,
            permanent,
            attempts: c.attempts,
            failures: kept(&c.failures),
            failed_at: Utc::now(),
        }));
        self.record(c, command, "failed").await?;
        sqlx::query(
            "UPDATE alert_outbox SET state = 'failed', in_flight_since = NULL, failures = $2, \
                 updated_at = now() WHERE alert_id = $1",
        )
        .bind(&c.alert_id)
        .bind(failures_json(&c.failures))
        .execute(&self.pool)
        .await?;
        Ok(Outcome::Failed)
    }

    /// Records an outcome; a store failure is returned as a database error so
    /// the row stays in flight (and is settled by the next claim).
    async fn record(
        &self,
        c: &Claimed,
        command: CustomerCommand,
        what: &str,
    ) -> Result<(), DispatchError> {
        let customer_id = CustomerId::parse(&c.customer_id)
            .map_err(|e| DispatchError::Corrupt(format!("customer id: {e}")))?;
        let meta = Metadata {
            actor: "alert-dispatcher".into(),
            request_id: format!("{}:{what}", c.alert_id),
            correlation_id: c.alert_id.clone(),
            causation_id: Some(format!("alert:{}", c.alert_id)),
        };
        let addressed = Addressed {
            customer_id,
            command,
        };
        match self.bus.execute(&c.customer_id, addressed, &meta).await {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(e)) => {
                // Only a bug gets here (the alert exists: we claimed its row).
                tracing::error!(alert = %c.alert_id, error = %e, "alert outcome refused");
                Ok(())
            }
            Err(e) => Err(DispatchError::Command(format!(
                "recording alert {what}: {e}"
            ))),
        }
    }
}

fn external(id: &str) -> Result<ExternalId, DispatchError> {
    ExternalId::parse(id).map_err(|e| DispatchError::Corrupt(format!("alert id: {e}")))
}

fn failure(attempt: u32, code: Option<i64>, reason: &str) -> SendFailure {
    SendFailure {
        attempt,
        code,
        reason: reason.chars().take(300).collect(),
        at: Utc::now(),
    }
}

fn kept(failures: &[SendFailure]) -> Vec<SendFailure> {
    let skip = failures.len().saturating_sub(MAX_FAILURES_KEPT);
    failures[skip..].to_vec()
}

fn failures_json(failures: &[SendFailure]) -> serde_json::Value {
    serde_json::to_value(kept(failures)).unwrap_or_else(|_| serde_json::json!([]))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
