//! The login stream's state and decisions: rate limits, the lock, and the
//! single active code.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::*;

/// The limits, fixed by policy (the issue's numbers), in one place.
#[derive(Clone, Copy, Debug)]
pub struct LoginPolicy;

impl LoginPolicy {
    /// How long a code works.
    pub const CODE_LIFETIME: Duration = Duration::minutes(5);
    /// Least time between two codes.
    pub const MIN_INTERVAL: Duration = Duration::seconds(30);
    /// Most codes per rolling hour.
    pub const MAX_PER_HOUR: usize = 5;
    /// Wrong codes in a row before the phone is locked.
    pub const MAX_FAILURES: u32 = 5;
    /// How long the lock lasts.
    pub const LOCK: Duration = Duration::minutes(15);
}

/// The code that can be used now, if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ActiveCode {
    otp_id: ExternalId,
    customer_id: Option<CustomerId>,
    code_hash: String,
    expires_at: DateTime<Utc>,
}

/// One phone's sign-in state. `Default` is "never asked".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Login {
    active: Option<ActiveCode>,
    /// Issue times within the last hour (bounded by the hourly limit).
    recent_issues: Vec<DateTime<Utc>>,
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
    signed_in_before: bool,
    issued: Vec<String>,
}

/// Compares two hex digests without an early exit, so the time taken does
/// not tell how much of a guess was right.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn seconds_until(now: DateTime<Utc>, then: DateTime<Utc>) -> u64 {
    u64::try_from((then - now).num_seconds().max(1)).unwrap_or(1)
}

impl Login {
    /// Whether the phone has ever signed in.
    pub fn signed_in_before(&self) -> bool {
        self.signed_in_before
    }

    fn check_lock(&self, now: DateTime<Utc>) -> Result<(), LoginError> {
        match self.locked_until {
            Some(until) if now < until => Err(LoginError::Locked {
                retry_after_secs: seconds_until(now, until),
            }),
            _ => Ok(()),
        }
    }

    /// The events a command records.
    pub fn decide(
        &self,
        phone: &PhoneNumber,
        command: LoginCommand,
    ) -> Result<Vec<LoginEvent>, LoginError> {
        match command {
            LoginCommand::RequestOtp(c) => {
                self.check_lock(c.now)?;
                let hour_ago = c.now - Duration::hours(1);
                let recent: Vec<_> = self
                    .recent_issues
                    .iter()
                    .filter(|t| **t > hour_ago)
                    .collect();
                if let Some(last) = recent.iter().max() {
                    let next = **last + LoginPolicy::MIN_INTERVAL;
                    if c.now < next {
                        return Err(LoginError::TooManyCodes {
                            retry_after_secs: seconds_until(c.now, next),
                        });
                    }
                }
                if recent.len() >= LoginPolicy::MAX_PER_HOUR {
                    let oldest = recent.iter().min().map_or(c.now, |t| **t);
                    return Err(LoginError::TooManyCodes {
                        retry_after_secs: seconds_until(c.now, oldest + Duration::hours(1)),
                    });
                }
                Ok(vec![LoginEvent::OtpIssued(OtpIssued {
                    otp_id: c.otp_id,
                    phone: phone.clone(),
                    customer_id: c.customer_id,
                    code_hash: c.code_hash,
                    sealed_code: c.sealed_code,
                    issued_at: c.now,
                    expires_at: c.now + LoginPolicy::CODE_LIFETIME,
                })])
            }
            LoginCommand::VerifyOtp(c) => {
                self.check_lock(c.now)?;
                let verdict = match &self.active {
                    None => Err("no_code"),
                    Some(a) if c.now >= a.expires_at => Err("expired"),
                    // Always compare, even for a phone that is no customer's,
                    // so both paths take the same time.
                    Some(a) => match (same_digest(&a.code_hash, &c.code_hash), &a.customer_id) {
                        (true, Some(customer)) => Ok((a.otp_id.clone(), customer.clone())),
                        _ => Err("wrong_code"),
                    },
                };
                match verdict {
                    Ok((otp_id, customer_id)) => Ok(vec![LoginEvent::OtpVerified(OtpVerified {
                        otp_id,
                        customer_id,
                        first_login: !self.signed_in_before,
                        verified_at: c.now,
                    })]),
                    Err(reason) => {
                        let failures = self.failures + 1;
                        let mut events = vec![LoginEvent::OtpRejected(OtpRejected {
                            reason: reason.into(),
                            failures,
                            at: c.now,
                        })];
                        if failures >= LoginPolicy::MAX_FAILURES {
                            events.push(LoginEvent::LoginLocked(LoginLocked {
                                until: c.now + LoginPolicy::LOCK,
                                at: c.now,
                            }));
                        }
                        Ok(events)
                    }
                }
            }
            LoginCommand::RecordOtpDelivery(c) => {
                if !self.issued.iter().any(|id| id == c.otp_id.as_str()) {
                    return Err(LoginError::UnknownOtp);
                }
                Ok(vec![LoginEvent::OtpDelivered(c)])
            }
        }
    }
}

impl Aggregate for Login {
    const TYPE: &'static str = "login";
    type Command = LoginAddressed;
    type Event = LoginEvent;
    type Error = LoginError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(&command.phone, command.command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            LoginEvent::OtpIssued(e) => {
                let hour_ago = e.issued_at - Duration::hours(1);
                self.recent_issues.retain(|t| *t > hour_ago);
                self.recent_issues.push(e.issued_at);
                // Only the latest few ids are needed to accept delivery
                // reports; keep the state bounded.
                self.issued.push(e.otp_id.to_string());
                if self.issued.len() > LoginPolicy::MAX_PER_HOUR * 2 {
                    self.issued.remove(0);
                }
                self.active = Some(ActiveCode {
                    otp_id: e.otp_id,
                    customer_id: e.customer_id,
                    code_hash: e.code_hash,
                    expires_at: e.expires_at,
                });
            }
            LoginEvent::OtpDelivered(_) => {}
            LoginEvent::OtpRejected(e) => self.failures = e.failures,
            LoginEvent::OtpVerified(_) => {
                // A code works once.
                self.active = None;
                self.failures = 0;
                self.signed_in_before = true;
            }
            LoginEvent::LoginLocked(e) => {
                self.locked_until = Some(e.until);
                self.failures = 0;
                // The code that was being guessed dies with the lock.
                self.active = None;
            }
        }
    }
}
