//! Sending one-time codes: the sealed code is opened only here, just before
//! the send, never stored or logged in clear; a code that has expired is not
//! sent at all, and the outcome is recorded on the phone's login stream.

use chrono::Utc;
use domain::login::{Login, LoginAddressed, LoginCommand, LoginPolicy, OtpDelivery};
use domain::values::PhoneNumber;
use store::{CommandBus, CommandError, Metadata};
use whatsapp::model::Template;

use super::DispatchError;
use super::{external, Claimed, Dispatcher, Outcome};
use crate::otp::OtpKeys;

/// What sending one-time codes needs: the login streams and the keys that
/// open sealed codes.
#[derive(Clone)]
pub struct CodeSender {
    /// Records deliveries on the phone's login stream.
    pub logins: CommandBus<Login>,
    /// Opens sealed codes.
    pub keys: OtpKeys,
}

impl Dispatcher {
    /// Sends a one-time code: opened from its seal only here, never stored
    /// or logged in clear, and not sent at all once it has expired.
    pub(super) async fn send_code(&self, c: Claimed) -> Result<Outcome, DispatchError> {
        let Some(codes) = &self.codes else {
            return self
                .record_code(
                    &c,
                    None,
                    Some("this dispatcher cannot send codes".into()),
                    "failed",
                )
                .await;
        };
        if Utc::now() >= c.raised_at + LoginPolicy::CODE_LIFETIME {
            return self
                .record_code(
                    &c,
                    None,
                    Some("expired before it could be sent".into()),
                    "failed",
                )
                .await;
        }
        let code = match c.sealed.as_deref().map(|s| codes.keys.open(&c.alert_id, s)) {
            Some(Ok(code)) => code,
            _ => {
                return self
                    .record_code(&c, None, Some("sealed code does not open".into()), "failed")
                    .await
            }
        };
        let template = Template::authentication(&c.message.template, &c.message.language, &code);
        drop(code);
        self.pacer.throughput_slot().await;
        match self
            .adapter
            .send(&c.recipient, &template, &c.alert_id)
            .await
        {
            Ok(sent) => self.record_code(&c, Some(sent.wamid), None, "sent").await,
            Err(e) if e.retry.is_retryable() && !e.maybe_accepted => {
                // A code is worth retrying only while it still works.
                self.after_error(c, e).await
            }
            Err(e) => {
                self.record_code(
                    &c,
                    None,
                    Some(format!("code {}: {}", e.code, e.message)),
                    "failed",
                )
                .await
            }
        }
    }

    pub(super) async fn record_code(
        &self,
        c: &Claimed,
        wamid: Option<String>,
        error: Option<String>,
        state: &str,
    ) -> Result<Outcome, DispatchError> {
        let (Some(codes), Some(stream)) = (&self.codes, &c.stream_id) else {
            tracing::error!(otp = %c.alert_id, "code row without a login stream or sender");
            return Ok(Outcome::Failed);
        };
        let phone = PhoneNumber::parse(stream)
            .map_err(|e| DispatchError::Corrupt(format!("login stream: {e}")))?;
        let command = LoginCommand::RecordOtpDelivery(OtpDelivery {
            otp_id: external(&c.alert_id)?,
            wamid: wamid.clone(),
            error,
            at: Utc::now(),
        });
        let meta = Metadata {
            actor: "alert-dispatcher".into(),
            request_id: format!("{}:{state}", c.alert_id),
            correlation_id: c.alert_id.clone(),
            causation_id: Some(format!("otp:{}", c.alert_id)),
        };
        match codes
            .logins
            .execute(stream, LoginAddressed { phone, command }, &meta)
            .await
        {
            Ok(_) => {}
            Err(CommandError::Rejected(e)) => {
                tracing::error!(otp = %c.alert_id, error = %e, "code delivery refused");
            }
            Err(e) => {
                return Err(DispatchError::Command(format!(
                    "recording code {state}: {e}"
                )))
            }
        }
        sqlx::query(
            "UPDATE alert_outbox SET state = $2, wamid = $3, in_flight_since = NULL, \
                 updated_at = now() WHERE alert_id = $1",
        )
        .bind(&c.alert_id)
        .bind(state)
        .bind(wamid)
        .execute(&self.pool)
        .await?;
        Ok(if state == "sent" {
            Outcome::Sent
        } else {
            Outcome::Failed
        })
    }
}
