//! The customer's state as rebuilt from its events, and the rules that decide
//! whether a command becomes an event.
//!
//! The state is deliberately small and bounded (no list of every transaction):
//! it is snapshotted, and a customer with years of activity must cost the same
//! per command as a new one. Uniqueness of ids is checked against
//! [`KnownFacts`], looked up by the command bus.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::alert_book::AlertBook;
use super::checks::{not_before_opening, reused, same_currency};
use super::commands::*;
use super::errors::CustomerError;
use super::events::*;
use super::risk::{RecordedRisk, RiskAssessed};
use crate::facts::KnownFacts;
use crate::values::{CustomerId, TransactionKind};

/// Who the customer is and the account's terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Registration as recorded.
    pub registered: CustomerRegistered,
    /// Current credit limit in minor units.
    pub credit_limit_minor: i64,
}

/// A card customer. `Default` is "not registered yet".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    profile: Option<Profile>,
    /// Running balance in minor units from transactions and payments.
    balance_minor: i64,
    /// The last statement period issued, as `YYYY-MM` (periods sort as text).
    last_statement_period: Option<String>,
    /// The last recorded risk decision.
    #[serde(default)]
    risk: RecordedRisk,
    /// Alerts raised and what became of them.
    #[serde(default)]
    alerts: AlertBook,
    /// How much of each partly or fully reversed transaction was reversed,
    /// by transaction id: grows only with reversals, which are rare.
    #[serde(default)]
    reversed: BTreeMap<String, i64>,
}

impl Customer {
    /// The profile, once registered.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// The running balance in minor units.
    pub fn balance_minor(&self) -> i64 {
        self.balance_minor
    }

    /// The customer's alerts.
    pub fn alerts(&self) -> &AlertBook {
        &self.alerts
    }

    /// The band of the last recorded decision (Low before any).
    pub fn band(&self) -> crate::risk::Band {
        self.risk.band
    }

    fn registered(&self) -> Result<&Profile, CustomerError> {
        self.profile.as_ref().ok_or(CustomerError::NotRegistered)
    }

    /// The event this command would record, or `None` when it is a repeat of
    /// something already recorded (an idempotent no-op).
    pub fn decide(
        &self,
        customer_id: &CustomerId,
        command: CustomerCommand,
        facts: &KnownFacts,
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        let event = match command {
            CustomerCommand::RegisterCustomer(c) => {
                return self.decide_registration(customer_id, c)
            }
            CustomerCommand::ChangeCreditLimit(c) => {
                let p = self.registered()?;
                not_before_opening(p, c.effective_at, "effective_at")?;
                if c.credit_limit_minor.minor() == p.credit_limit_minor {
                    return Ok(None);
                }
                CustomerEvent::CreditLimitChanged(CreditLimitChanged {
                    previous_limit_minor: p.credit_limit_minor,
                    credit_limit_minor: c.credit_limit_minor.minor(),
                    effective_at: c.effective_at,
                })
            }
            CustomerCommand::RecordTransaction(c) => {
                let p = self.registered()?;
                same_currency(p, &c.currency)?;
                not_before_opening(p, c.occurred_at, "occurred_at")?;
                if matches!(c.kind, TransactionKind::Purchase | TransactionKind::Refund)
                    && c.merchant_category_code.is_none()
                {
                    return Err(CustomerError::invalid(
                        "merchant_category_code",
                        "is required for purchases and refunds",
                    ));
                }
                CustomerEvent::TransactionRecorded(TransactionRecorded {
                    transaction_id: c.transaction_id,
                    amount_minor: c.amount_minor.minor(),
                    currency: c.currency,
                    kind: c.kind,
                    merchant_category_code: c.merchant_category_code,
                    merchant_name: c.merchant_name,
                    channel: c.channel,
                    occurred_at: c.occurred_at,
                })
            }
            CustomerCommand::IssueStatement(c) => {
                let p = self.registered()?;
                not_before_opening(p, c.issued_at, "issued_at")?;
                let closed = c.period.end_exclusive();
                if c.issued_at.date_naive() < closed {
                    return Err(CustomerError::invalid(
                        "issued_at",
                        format!(
                            "must be on or after {closed}, when period {} closes",
                            c.period
                        ),
                    ));
                }
                if c.due_date < c.issued_at.date_naive() {
                    return Err(CustomerError::invalid(
                        "due_date",
                        "must not be before issued_at",
                    ));
                }
                if c.minimum_due_minor.minor() > c.closing_balance_minor.minor().max(0) {
                    return Err(CustomerError::invalid(
                        "minimum_due_minor",
                        "must not exceed the closing balance",
                    ));
                }
                CustomerEvent::StatementIssued(StatementIssued {
                    period: c.period,
                    closing_balance_minor: c.closing_balance_minor.minor(),
                    minimum_due_minor: c.minimum_due_minor.minor(),
                    due_date: c.due_date,
                    issued_at: c.issued_at,
                })
            }
            CustomerCommand::RecordPayment(c) => {
                let p = self.registered()?;
                same_currency(p, &c.currency)?;
                not_before_opening(p, c.paid_at, "paid_at")?;
                CustomerEvent::PaymentRecorded(PaymentRecorded {
                    payment_id: c.payment_id,
                    amount_minor: c.amount_minor.minor(),
                    currency: c.currency,
                    paid_at: c.paid_at,
                })
            }
            CustomerCommand::RecordRiskAssessment(c) => {
                self.registered()?;
                if let Some(earlier) = facts.get(&super::commands::keys::decision(&c.decision_id)) {
                    return match earlier {
                        CustomerEvent::RiskAssessed(e) if e.assessment == *c => Ok(None),
                        _ => Err(CustomerError::IdReused {
                            field: "decision_id",
                            id: c.decision_id.clone(),
                        }),
                    };
                }
                // Only a change is a decision; the same band and rules again
                // are a no-op.
                if !self.risk.is_news(&c) {
                    return Ok(None);
                }
                CustomerEvent::RiskAssessed(Box::new(RiskAssessed {
                    band_before: self.risk.band,
                    assessment: *c,
                }))
            }
            CustomerCommand::RaiseAlert(c) => {
                let p = self.registered()?;
                not_before_opening(p, c.raised_at, "raised_at")?;
                return self
                    .alerts
                    .decide_raise(*c, &p.registered.phone, self.alert_params());
            }
            CustomerCommand::ReverseTransaction(c) => {
                let p = self.registered()?;
                let before = self
                    .reversed
                    .get(c.transaction_id.as_str())
                    .copied()
                    .unwrap_or(0);
                return super::corrections::decide_reversal(
                    p.registered.opened_at,
                    before,
                    c,
                    facts,
                );
            }
            CustomerCommand::ReturnPayment(c) => {
                let p = self.registered()?;
                return super::corrections::decide_return(p.registered.opened_at, c, facts);
            }
            CustomerCommand::CorrectStatement(c) => {
                self.registered()?;
                return super::corrections::decide_statement_correction(c, facts);
            }
            CustomerCommand::RecordAlertSent(c) => return self.alerts.decide_sent(c),
            CustomerCommand::RecordAlertFailed(c) => return self.alerts.decide_failed(c),
            CustomerCommand::RecordAlertDelivery(c) => return self.alerts.decide_delivery(c),
            CustomerCommand::ReportDaysPastDue(c) => {
                let p = self.registered()?;
                not_before_opening(p, c.as_of, "as_of")?;
                if c.days_past_due > MAX_DAYS_PAST_DUE {
                    return Err(CustomerError::invalid(
                        "days_past_due",
                        format!("must be at most {MAX_DAYS_PAST_DUE}"),
                    ));
                }
                CustomerEvent::DaysPastDueReported(DaysPastDueReported {
                    days_past_due: c.days_past_due,
                    as_of: c.as_of,
                })
            }
        };
        if let Some(key) = event.dedup_key() {
            if let Some(earlier) = facts.get(&key) {
                return if *earlier == event {
                    Ok(None)
                } else {
                    Err(reused(&event))
                };
            }
        }
        // Ordering is checked after the repeat check: re-sending an old
        // statement unchanged is a harmless repeat, not an ordering error.
        if let CustomerEvent::StatementIssued(s) = &event {
            if let Some(last) = &self.last_statement_period {
                if s.period.as_str() <= last.as_str() {
                    return Err(CustomerError::invalid(
                        "period",
                        format!("must come after the last statement period {last}"),
                    ));
                }
            }
        }
        Ok(Some(event))
    }

    /// The risk-alert template's parameters: the customer's first name and
    /// the headline of the last decision.
    fn alert_params(&self) -> [String; 2] {
        let first_name = self
            .profile
            .as_ref()
            .and_then(|p| p.registered.name.as_str().split_whitespace().next())
            .unwrap_or("Customer")
            .to_owned();
        let headline = self.risk.headline.clone().unwrap_or_else(|| {
            "we would like to help you stay on top of your card payments".to_owned()
        });
        [first_name, headline]
    }

    fn decide_registration(
        &self,
        customer_id: &CustomerId,
        c: RegisterCustomer,
    ) -> Result<Option<CustomerEvent>, CustomerError> {
        let event = CustomerRegistered {
            customer_id: customer_id.clone(),
            name: c.name,
            phone: c.phone,
            credit_limit_minor: c.credit_limit_minor.minor(),
            currency: c.currency,
            opened_at: c.opened_at,
        };
        match &self.profile {
            Some(p) if p.registered == event => Ok(None),
            Some(_) => Err(CustomerError::AlreadyRegistered),
            None => Ok(Some(CustomerEvent::CustomerRegistered(event))),
        }
    }
}

/// A command addressed to one customer: the stream id travels with it because
/// registration records it in the first event.
#[derive(Clone, Debug, PartialEq)]
pub struct Addressed {
    /// The customer (stream) id.
    pub customer_id: CustomerId,
    /// The command.
    pub command: CustomerCommand,
}

impl Aggregate for Customer {
    const TYPE: &'static str = "customer";
    type Command = Addressed;
    type Event = CustomerEvent;
    type Error = CustomerError;
    type Services = KnownFacts;

    async fn handle(
        &mut self,
        command: Self::Command,
        facts: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if let Some(event) = self.decide(&command.customer_id, command.command, facts)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CustomerEvent::CustomerRegistered(e) => {
                self.profile = Some(Profile {
                    credit_limit_minor: e.credit_limit_minor,
                    registered: e,
                });
            }
            CustomerEvent::CreditLimitChanged(e) => {
                if let Some(p) = &mut self.profile {
                    p.credit_limit_minor = e.credit_limit_minor;
                }
            }
            CustomerEvent::TransactionRecorded(e) => {
                if e.kind.is_debit() {
                    self.balance_minor += e.amount_minor;
                } else {
                    self.balance_minor -= e.amount_minor;
                }
            }
            CustomerEvent::StatementIssued(e) => {
                self.last_statement_period = Some(e.period.to_string());
            }
            CustomerEvent::PaymentRecorded(e) => self.balance_minor -= e.amount_minor,
            CustomerEvent::DaysPastDueReported(_) | CustomerEvent::StatementCorrected(_) => {}
            CustomerEvent::TransactionReversed(e) => {
                if e.kind.is_debit() {
                    self.balance_minor -= e.amount_minor;
                } else {
                    self.balance_minor += e.amount_minor;
                }
                *self
                    .reversed
                    .entry(e.transaction_id.to_string())
                    .or_default() += e.amount_minor;
            }
            CustomerEvent::PaymentReturned(e) => self.balance_minor += e.amount_minor,
            CustomerEvent::RiskAssessed(e) => {
                self.risk = RecordedRisk {
                    band: e.assessment.band,
                    rules: e
                        .assessment
                        .fired_rules
                        .iter()
                        .map(|r| r.id.clone())
                        .collect(),
                    decision_id: Some(e.assessment.decision_id.clone()),
                    headline: e.assessment.reasons.first().map(|r| r.text.clone()),
                };
            }
            alert @ (CustomerEvent::AlertRaised(_)
            | CustomerEvent::AlertSuppressed(_)
            | CustomerEvent::AlertSent(_)
            | CustomerEvent::AlertFailed(_)
            | CustomerEvent::AlertDeliveryUpdated(_)) => self.alerts.apply(&alert),
        }
    }
}
