//! The alert process manager: reads the log (with its own checkpoint,
//! through the projection runner) and raises an alert when a `RiskAssessed`
//! decision moves a customer up into the alerting band, and a welcome
//! message when a customer signs in for the first time (`OtpVerified` with
//! `first_login` on their phone's login stream).
//!
//! The alert id is derived from the decision id, so replaying the log (or a
//! crash between raising and moving the checkpoint) raises nothing new: the
//! aggregate answers a repeated `RaiseAlert` with no event. The cooldown is
//! the aggregate's call too, so it holds however many runners race.

use domain::customer::{Addressed, AlertCause, CustomerCommand, RaiseAlert, RiskAssessed};
use domain::login::{Login, LoginEvent};
use domain::values::{CustomerId, ExternalId};
use domain::{Customer, CustomerEvent};
use projections::pace::per_customer;
use projections::{Projection, ProjectionError, Tables};
use sqlx::PgConnection;
use store::{CommandBus, CommandError, Metadata, RecordedEvent};

use crate::config::AlertPolicy;

/// Namespace of escalation alert ids (UUID v5 of the decision id).
const ESCALATION_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c1f_7d2e_93a4_4b0e_9d55_0e1a_2c3b_4d5e);

/// The welcome message's id: one per customer, ever.
pub fn welcome_alert_id(customer_id: &str) -> ExternalId {
    let id = uuid::Uuid::new_v5(
        &ESCALATION_NAMESPACE,
        format!("welcome:{customer_id}").as_bytes(),
    );
    ExternalId::parse(&format!("wel-{}", id.simple())).expect("a uuid is a valid external id")
}

/// The alert id for an escalation decision: the same decision always gives
/// the same id.
pub fn escalation_alert_id(decision_id: &str) -> ExternalId {
    let id = uuid::Uuid::new_v5(&ESCALATION_NAMESPACE, decision_id.as_bytes());
    ExternalId::parse(&format!("esc-{}", id.simple())).expect("a uuid is a valid external id")
}

/// The alert a decision calls for, if any, decided at `now` (the clock read
/// at this edge: the aggregate suppresses it as stale when the decision is
/// about a fact older than the policy's age limit before `now`).
pub fn alert_for(
    policy: &AlertPolicy,
    decision: &RiskAssessed,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<RaiseAlert> {
    let a = &decision.assessment;
    if a.band < policy.min_band || a.band <= decision.band_before {
        return None;
    }
    Some(RaiseAlert {
        alert_id: escalation_alert_id(&a.decision_id),
        cause: AlertCause::Escalation {
            decision_id: a.decision_id.clone(),
            band_before: decision.band_before,
            band: a.band,
            reason_codes: a.reasons.iter().map(|r| r.code.clone()).collect(),
        },
        template: policy.template.clone(),
        fallback: policy.fallback.clone(),
        raised_at: a.as_of,
        cooldown_seconds: u32::try_from(policy.cooldown.as_secs()).unwrap_or(u32::MAX),
        decided_at: Some(now),
        max_age_seconds: policy
            .max_age
            .map(|a| u32::try_from(a.as_secs()).unwrap_or(u32::MAX)),
    })
}

/// The process manager, run as a projection without tables.
pub struct EscalationPolicy {
    bus: CommandBus<Customer>,
    policy: AlertPolicy,
}

impl EscalationPolicy {
    /// A policy raising alerts through `bus`.
    pub fn new(bus: CommandBus<Customer>, policy: AlertPolicy) -> Self {
        Self { bus, policy }
    }
}

impl EscalationPolicy {
    /// Raises the alerts: each customer's in order, customers side by side
    /// (their commands then share group commits instead of queueing behind
    /// each other one by one). Every raise is idempotent on its alert id, so a
    /// step that fails part-way and is applied again raises nothing twice.
    async fn raise_all(&self, raises: Vec<Raise>) -> Result<(), ProjectionError> {
        let raised = per_customer(
            raises.into_iter().map(|r| (r.customer.clone(), r)),
            |_, mine| {
                let bus = self.bus.clone();
                async move {
                    for r in mine {
                        raise(&bus, r).await?;
                    }
                    Ok::<(), ProjectionError>(())
                }
            },
        )
        .await;
        let mut failed = None;
        for done in raised {
            let outcome = done
                .map_err(|e| ProjectionError::Unavailable(format!("alert raise task: {e}")))
                .and_then(|r| r);
            if let Err(e) = outcome {
                failed.get_or_insert(e);
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

/// One alert to raise, with the event that caused it.
struct Raise {
    position: i64,
    customer: String,
    command: RaiseAlert,
    correlation: String,
}

async fn raise(bus: &CommandBus<Customer>, r: Raise) -> Result<(), ProjectionError> {
    let customer_id = CustomerId::parse(&r.customer).map_err(|e| ProjectionError::Poison {
        position: r.position,
        reason: e,
    })?;
    let meta = Metadata {
        actor: "alert-policy".into(),
        request_id: r.command.alert_id.to_string(),
        correlation_id: r.correlation,
        causation_id: Some(format!("event:{}", r.position)),
    };
    let addressed = Addressed {
        customer_id,
        command: CustomerCommand::RaiseAlert(Box::new(r.command)),
    };
    match bus.execute(&r.customer, addressed, &meta).await {
        Ok(_) => Ok(()),
        // A refusal is a business answer that no retry changes: keep it
        // visible and go on (the triggering event stays recorded).
        Err(CommandError::Rejected(e)) => {
            tracing::error!(customer = %r.customer, error = %e, "alert refused");
            Ok(())
        }
        Err(e) => Err(ProjectionError::Unavailable(e.to_string())),
    }
}

impl Projection for EscalationPolicy {
    const NAME: &'static str = "alert_escalations";
    const TABLES: &'static [&'static str] = &[];
    type RebuildMemory = ();

    async fn apply(
        &self,
        _tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        if !tables.is_live() {
            return Ok(()); // history is never re-messaged
        }
        let now = (self.policy.clock)();
        let mut raises = Vec::new();
        for stored in events {
            let command = match stored.aggregate_type.as_str() {
                t if t == <Customer as cqrs_es::Aggregate>::TYPE
                    && stored.event_type == "RiskAssessed" =>
                {
                    let Ok(CustomerEvent::RiskAssessed(decision)) =
                        stored.payload.decode::<CustomerEvent>()
                    else {
                        continue;
                    };
                    match alert_for(&self.policy, &decision, now) {
                        Some(c) => (
                            stored.aggregate_id.clone(),
                            c,
                            decision.assessment.decision_id.clone(),
                        ),
                        None => continue,
                    }
                }
                t if t == <Login as cqrs_es::Aggregate>::TYPE
                    && stored.event_type == "OtpVerified" =>
                {
                    let Ok(LoginEvent::OtpVerified(v)) = stored.payload.decode::<LoginEvent>()
                    else {
                        continue;
                    };
                    if !v.first_login {
                        continue;
                    }
                    let command = RaiseAlert {
                        alert_id: welcome_alert_id(v.customer_id.as_str()),
                        cause: AlertCause::Welcome {
                            otp_id: v.otp_id.to_string(),
                        },
                        template: self.policy.welcome.clone(),
                        fallback: None,
                        raised_at: v.verified_at,
                        cooldown_seconds: 0,
                        decided_at: None,
                        max_age_seconds: None,
                    };
                    (v.customer_id.to_string(), command, v.otp_id.to_string())
                }
                _ => continue,
            };
            let (customer, command, correlation) = command;
            if let Err(reason) = CustomerId::parse(&customer) {
                // Raise what came before it, then stop on it.
                self.raise_all(raises).await?;
                return Err(ProjectionError::Poison {
                    position: stored.checkpoint.position,
                    reason,
                });
            }
            raises.push(Raise {
                position: stored.checkpoint.position,
                customer,
                command,
                correlation,
            });
        }
        self.raise_all(raises).await
    }
}
