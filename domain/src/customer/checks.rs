//! The checks a command passes against the account before it becomes an
//! event: the account's currency, nothing dated before the account opened,
//! and an id that is not reused for a different fact.

use chrono::{DateTime, Utc};

use super::aggregate::Profile;
use super::errors::CustomerError;
use super::events::CustomerEvent;
use crate::values::Currency;

/// The refusal of a command whose id names a different, recorded fact.
pub(super) fn reused(event: &CustomerEvent) -> CustomerError {
    let (field, id) = match event {
        CustomerEvent::TransactionRecorded(e) => ("transaction_id", e.transaction_id.to_string()),
        CustomerEvent::PaymentRecorded(e) => ("payment_id", e.payment_id.to_string()),
        CustomerEvent::StatementIssued(e) => ("period", e.period.to_string()),
        CustomerEvent::DaysPastDueReported(e) => ("as_of", e.as_of.to_rfc3339()),
        CustomerEvent::RiskAssessed(e) => ("decision_id", e.assessment.decision_id.clone()),
        _ => ("customer_id", String::new()),
    };
    CustomerError::IdReused { field, id }
}

pub(super) fn same_currency(p: &Profile, currency: &Currency) -> Result<(), CustomerError> {
    if *currency == p.registered.currency {
        Ok(())
    } else {
        Err(CustomerError::invalid(
            "currency",
            format!("must be the account currency {}", p.registered.currency),
        ))
    }
}

pub(super) fn not_before_opening(
    p: &Profile,
    at: DateTime<Utc>,
    field: &'static str,
) -> Result<(), CustomerError> {
    if at < p.registered.opened_at {
        Err(CustomerError::invalid(
            field,
            format!(
                "must not be before the account opened ({})",
                p.registered.opened_at
            ),
        ))
    } else {
        Ok(())
    }
}
