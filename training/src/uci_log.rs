//! The UCI data as something the running system can take: each client's
//! events as the commands that record them (for `early-risk import-uci`), and
//! as point-in-time observations for evaluating an artifact on any CSV in
//! that layout (the label is the default flag of the month after).

use chrono::Duration;
use domain::customer::*;
use domain::features::features_from_history;
use domain::values::{Balance, NonNegativeAmount, PositiveAmount};

use crate::pit::Observation;
use crate::uci::{client_events, customer_id, UciClient};
use crate::TrainingError;

/// The command that records `event` (none for decisions, which only the
/// risk engine records).
pub fn command_for(event: &CustomerEvent) -> Result<Option<CustomerCommand>, TrainingError> {
    let amount = |v: i64| PositiveAmount::parse(v).map_err(TrainingError::Data);
    let non_negative = |v: i64| NonNegativeAmount::parse(v).map_err(TrainingError::Data);
    Ok(Some(match event.clone() {
        CustomerEvent::CustomerRegistered(e) => {
            CustomerCommand::RegisterCustomer(RegisterCustomer {
                name: e.name,
                phone: e.phone,
                credit_limit_minor: non_negative(e.credit_limit_minor)?,
                currency: e.currency,
                opened_at: e.opened_at,
            })
        }
        CustomerEvent::CreditLimitChanged(e) => {
            CustomerCommand::ChangeCreditLimit(ChangeCreditLimit {
                credit_limit_minor: non_negative(e.credit_limit_minor)?,
                effective_at: e.effective_at,
            })
        }
        CustomerEvent::TransactionRecorded(e) => {
            CustomerCommand::RecordTransaction(RecordTransaction {
                transaction_id: e.transaction_id,
                amount_minor: amount(e.amount_minor)?,
                currency: e.currency,
                kind: e.kind,
                merchant_category_code: e.merchant_category_code,
                merchant_name: e.merchant_name,
                channel: e.channel,
                occurred_at: e.occurred_at,
            })
        }
        CustomerEvent::StatementIssued(e) => CustomerCommand::IssueStatement(IssueStatement {
            period: e.period,
            closing_balance_minor: Balance::parse(e.closing_balance_minor)
                .map_err(TrainingError::Data)?,
            minimum_due_minor: non_negative(e.minimum_due_minor)?,
            due_date: e.due_date,
            issued_at: e.issued_at,
        }),
        CustomerEvent::PaymentRecorded(e) => CustomerCommand::RecordPayment(RecordPayment {
            payment_id: e.payment_id,
            amount_minor: amount(e.amount_minor)?,
            currency: e.currency,
            paid_at: e.paid_at,
        }),
        CustomerEvent::DaysPastDueReported(e) => {
            CustomerCommand::ReportDaysPastDue(ReportDaysPastDue {
                days_past_due: e.days_past_due,
                as_of: e.as_of,
            })
        }
        // Decisions and alerts are the bank's own records, not input.
        _ => return Ok(None),
    }))
}

/// One client as (customer id, commands in order).
pub fn client_commands(c: &UciClient) -> Result<(String, Vec<CustomerCommand>), TrainingError> {
    let (events, _) = client_events(c)?;
    let mut commands = Vec::with_capacity(events.len());
    for e in &events {
        if let Some(cmd) = command_for(e)? {
            commands.push(cmd);
        }
    }
    Ok((customer_id(c), commands))
}

/// Each client observed once, as of 2005-10-01, labelled by its default
/// flag. The data has no delinquency date: a defaulter counts as delinquent
/// 31 days after the observation, so "flagged 30 days early" reads as the
/// recall of High there.
pub fn uci_observations(clients: &[UciClient]) -> Result<Vec<Observation>, TrainingError> {
    clients
        .iter()
        .map(|c| {
            let (events, at) = client_events(c)?;
            Ok(Observation {
                customer_id: customer_id(c),
                at,
                first_delinquent: c.default.then(|| at + Duration::days(31)),
                features: features_from_history(&events, at),
                label: c.default,
            })
        })
        .collect()
}
