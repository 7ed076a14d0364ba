//! What the dispatcher records after a send: the message accepted, a
//! failure to retry later (with backoff) or a final one, each on the
//! customer's stream; and the row released or settled in the outbox.

use std::time::Duration;

use chrono::Utc;
use domain::customer::{
    Addressed, AlertFailed, AlertSent, CustomerCommand, SendFailure, MAX_FAILURES_KEPT,
};
use domain::values::{CustomerId, ExternalId};
use rand::Rng;
use store::{CommandError, Metadata};
use whatsapp::errors::{backoff, Retry, SendError};

use super::{Claimed, DispatchError, Dispatcher, Outcome, RowKind};

impl Dispatcher {
    pub(super) async fn after_error(
        &self,
        mut c: Claimed,
        e: SendError,
    ) -> Result<Outcome, DispatchError> {
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
    pub(super) async fn release(
        &self,
        c: &Claimed,
        wait: Duration,
    ) -> Result<Outcome, DispatchError> {
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

    pub(super) async fn record_sent(
        &self,
        c: &Claimed,
        wamid: String,
    ) -> Result<Outcome, DispatchError> {
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

    pub(super) async fn record_failed(
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
    pub(super) async fn record(
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

pub(super) fn external(id: &str) -> Result<ExternalId, DispatchError> {
    ExternalId::parse(id).map_err(|e| DispatchError::Corrupt(format!("alert id: {e}")))
}

pub(super) fn failure(attempt: u32, code: Option<i64>, reason: &str) -> SendFailure {
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

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
