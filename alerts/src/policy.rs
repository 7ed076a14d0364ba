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
//!
//! The portfolio's alert budget is this process's call, since it counts
//! across customers: the policy keeps the counts ([`crate::budget`]) in its
//! own transaction, so they move with its checkpoint, and an escalation that
//! would message one more customer when the budget has no room is raised
//! with the counts (`withheld_by_budget`): the aggregate records it as
//! suppressed (`budget`) and nothing is sent. The customer then waits; when
//! room comes back (a messaged customer becomes delinquent, at once; the
//! portfolio grows or messages age out, at the end of a batch) the customer
//! waiting longest who is still High is messaged under an alert id of its
//! own, as `training::budget` measures it.

use domain::customer::{Addressed, AlertCause, CustomerCommand, RaiseAlert, RiskAssessed};
use domain::login::{Login, LoginEvent};
use domain::values::{CustomerId, ExternalId};
use domain::{Customer, CustomerEvent};
use projections::pace::per_customer;
use projections::{Projection, ProjectionError, Tables};
use sqlx::PgConnection;
use store::{CommandBus, CommandError, Metadata, RecordedEvent};

use crate::budget::{self, PendingFacts, DELINQUENT_DAYS_PAST_DUE};
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
        withheld_by_budget: None,
    })
}

/// Whether the aggregate will suppress `c` as stale (the same test it
/// makes): such an alert sends nothing, so it takes nothing from the budget.
fn is_stale(c: &RaiseAlert) -> bool {
    match (c.decided_at, c.max_age_seconds) {
        (Some(decided_at), Some(max_age)) => {
            c.raised_at + chrono::Duration::seconds(i64::from(max_age)) < decided_at
        }
        _ => false,
    }
}

/// The process manager, run as a projection without tables of its own to
/// rebuild (the budget's table is live state, written only while live).
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

/// An alert to raise: the customer, the command, the correlation id.
type Raising = (String, RaiseAlert, String);

impl EscalationPolicy {
    /// What a customer event means here: the budget's facts (registration,
    /// delinquency) are kept, and a decision that escalates gives its alert,
    /// withheld when the budget has no room.
    async fn customer_event(
        &self,
        tx: &mut PgConnection,
        stored: &RecordedEvent,
        now: chrono::DateTime<chrono::Utc>,
        facts: &mut PendingFacts,
    ) -> Result<Vec<Raising>, ProjectionError> {
        if !matches!(
            stored.event_type.as_str(),
            "RiskAssessed" | "CustomerRegistered" | "DaysPastDueReported"
        ) {
            return Ok(Vec::new());
        }
        let Ok(event) = stored.payload.decode::<CustomerEvent>() else {
            return Ok(Vec::new());
        };
        let customer = stored.aggregate_id.as_str();
        let decision = match event {
            CustomerEvent::CustomerRegistered(r) => {
                facts.opened(customer, r.opened_at);
                return Ok(Vec::new());
            }
            CustomerEvent::DaysPastDueReported(d) => {
                if d.days_past_due < DELINQUENT_DAYS_PAST_DUE {
                    return Ok(Vec::new());
                }
                facts.delinquent(customer, d.as_of);
                // A message that came true frees a place.
                return self.release_waiting(tx, d.as_of, now, facts).await;
            }
            CustomerEvent::RiskAssessed(decision) => decision,
            _ => return Ok(Vec::new()),
        };
        let Some(mut command) = alert_for(&self.policy, &decision, now) else {
            if decision.assessment.band < self.policy.min_band && !self.policy.budget.is_unlimited()
            {
                budget::stop_waiting(tx, customer).await?;
            }
            return Ok(Vec::new());
        };
        if !is_stale(&command) {
            self.spend_budget(tx, customer, &mut command, facts).await?;
        }
        Ok(vec![(
            customer.to_owned(),
            command,
            decision.assessment.decision_id.clone(),
        )])
    }

    /// While the budget has room at business time `at`, the customer who has
    /// waited longest (still High, not delinquent) is messaged: their
    /// withheld alert is raised again under its own id, about `at`.
    async fn release_waiting(
        &self,
        tx: &mut PgConnection,
        at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        facts: &mut PendingFacts,
    ) -> Result<Vec<Raising>, ProjectionError> {
        let budget = self.policy.budget;
        let mut released = Vec::new();
        if budget.is_unlimited() {
            return Ok(released);
        }
        facts.flush(tx).await?;
        while let Some((customer, withheld)) = budget::longest_waiting(tx).await? {
            let (counts, _) = budget::counts_at(tx, &customer, at).await?;
            if !budget.has_room(&counts) {
                break;
            }
            let AlertCause::Escalation { decision_id, .. } = &withheld.cause else {
                budget::stop_waiting(tx, &customer).await?;
                continue;
            };
            let command = RaiseAlert {
                alert_id: escalation_alert_id(&format!("{decision_id}:released")),
                raised_at: at,
                decided_at: Some(now),
                withheld_by_budget: None,
                ..withheld.clone()
            };
            budget::messaged(tx, &customer, at).await?;
            if is_stale(&command) {
                // About the past (an import catching up): nothing is sent.
                continue;
            }
            let correlation = decision_id.clone();
            released.push((customer, command, correlation));
        }
        Ok(released)
    }

    /// Lets `command` through the budget (and counts its customer as
    /// messaged at the decision's business time), or marks it withheld with
    /// the counts. A customer already counted is always let through: a
    /// repeat costs nothing, the cooldown governs repeats. An alert let
    /// through that the aggregate then suppresses by its cooldown still
    /// counts: the customer was messaged within the cooldown anyway.
    async fn spend_budget(
        &self,
        tx: &mut PgConnection,
        customer: &str,
        command: &mut RaiseAlert,
        facts: &mut PendingFacts,
    ) -> Result<(), ProjectionError> {
        // Everything before this decision in the log, counted.
        facts.flush(tx).await?;
        let budget = self.policy.budget;
        if !budget.is_unlimited() {
            let (counts, counted) = budget::counts_at(tx, customer, command.raised_at).await?;
            if !counted && !budget.has_room(&counts) {
                command.withheld_by_budget = Some(counts);
                budget::withhold(tx, customer, command.raised_at, command).await?;
                return Ok(());
            }
        }
        // Kept up to date even without a limit, so a budget set later starts
        // from true counts.
        budget::messaged(tx, customer, command.raised_at).await?;
        Ok(())
    }

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

/// The business time of a customer event the budget reads.
fn business_time(stored: &RecordedEvent) -> Option<chrono::DateTime<chrono::Utc>> {
    if stored.aggregate_type != <Customer as cqrs_es::Aggregate>::TYPE
        || !matches!(
            stored.event_type.as_str(),
            "RiskAssessed" | "CustomerRegistered" | "DaysPastDueReported"
        )
    {
        return None;
    }
    match stored.payload.decode::<CustomerEvent>().ok()? {
        CustomerEvent::RiskAssessed(d) => Some(d.assessment.as_of),
        CustomerEvent::CustomerRegistered(r) => Some(r.opened_at),
        CustomerEvent::DaysPastDueReported(d) => Some(d.as_of),
        _ => None,
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
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        if !tables.is_live() {
            return Ok(()); // history is never re-messaged
        }
        let now = (self.policy.clock)();
        let mut raises = Vec::new();
        let mut facts = PendingFacts::default();
        for stored in events {
            let command = match stored.aggregate_type.as_str() {
                t if t == <Customer as cqrs_es::Aggregate>::TYPE => {
                    let commands = self.customer_event(tx, stored, now, &mut facts).await?;
                    for (customer, command, correlation) in commands {
                        raises.push(Raise {
                            position: stored.checkpoint.position,
                            customer,
                            command,
                            correlation,
                        });
                    }
                    continue;
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
                        withheld_by_budget: None,
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
        // Room the batch made otherwise (the portfolio grew, messages aged
        // out), at the batch's latest business time.
        if let Some(at) = events.iter().filter_map(business_time).max() {
            for (customer, command, correlation) in
                self.release_waiting(tx, at, now, &mut facts).await?
            {
                let position = events.last().map_or(0, |e| e.checkpoint.position);
                raises.push(Raise {
                    position,
                    customer,
                    command,
                    correlation,
                });
            }
        }
        facts.flush(tx).await?;
        self.raise_all(raises).await
    }
}
