//! The escalation process manager: reads `RiskAssessed` decisions from the
//! log (with its own checkpoint, through the projection runner) and raises
//! an alert when a decision moves a customer up into the alerting band.
//!
//! The alert id is derived from the decision id, so replaying the log (or a
//! crash between raising and moving the checkpoint) raises nothing new: the
//! aggregate answers a repeated `RaiseAlert` with no event. The cooldown is
//! the aggregate's call too, so it holds however many runners race.

use commands::{CommandBus, CommandError, Metadata, RecordedEvent};
use domain::customer::{Addressed, AlertCause, CustomerCommand, RaiseAlert, RiskAssessed};
use domain::values::{CustomerId, ExternalId};
use domain::{Customer, CustomerEvent};
use projections::projection::customer_events;
use projections::{Projection, ProjectionError, Tables};
use sqlx::PgConnection;

use crate::config::AlertPolicy;

/// Namespace of escalation alert ids (UUID v5 of the decision id).
const ESCALATION_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c1f_7d2e_93a4_4b0e_9d55_0e1a_2c3b_4d5e);

/// The alert id for an escalation decision: the same decision always gives
/// the same id.
pub fn escalation_alert_id(decision_id: &str) -> ExternalId {
    let id = uuid::Uuid::new_v5(&ESCALATION_NAMESPACE, decision_id.as_bytes());
    ExternalId::parse(&format!("esc-{}", id.simple())).expect("a uuid is a valid external id")
}

/// The alert a decision calls for, if any.
pub fn alert_for(policy: &AlertPolicy, decision: &RiskAssessed) -> Option<RaiseAlert> {
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

impl Projection for EscalationPolicy {
    const NAME: &'static str = "alert_escalations";
    const TABLES: &'static [&'static str] = &[];

    async fn apply(
        &self,
        _tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        if !tables.is_live() {
            return Ok(()); // history is never re-messaged
        }
        for (stored, event) in customer_events(events)? {
            let CustomerEvent::RiskAssessed(decision) = event else {
                continue;
            };
            let Some(command) = alert_for(&self.policy, &decision) else {
                continue;
            };
            let customer_id =
                CustomerId::parse(&stored.aggregate_id).map_err(|e| ProjectionError::Poison {
                    position: stored.checkpoint.position,
                    reason: e,
                })?;
            let cause = format!("event:{}", stored.checkpoint.position);
            let meta = Metadata {
                actor: "alert-policy".into(),
                request_id: command.alert_id.to_string(),
                correlation_id: decision.assessment.decision_id.clone(),
                causation_id: Some(cause),
            };
            let addressed = Addressed {
                customer_id,
                command: CustomerCommand::RaiseAlert(Box::new(command)),
            };
            match self
                .bus
                .execute(&stored.aggregate_id, addressed, &meta)
                .await
            {
                Ok(_) => {}
                // A refusal is a business answer that no retry changes: keep
                // it visible and go on (the decision itself stays recorded).
                Err(CommandError::Rejected(e)) => {
                    tracing::error!(customer = %stored.aggregate_id, error = %e, "alert refused");
                }
                Err(e) => return Err(ProjectionError::Unavailable(e.to_string())),
            }
        }
        Ok(())
    }
}
