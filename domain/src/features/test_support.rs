//! Builders of events and assertions shared by the feature tests.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use super::*;
use crate::customer::*;
use crate::values::*;

/// 00:00 UTC on 2026-01-01 plus `day` days and `hour` hours.
pub(super) fn t(day: u64, hour: u32) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).single();
    let base = base.expect("valid test time");
    base.checked_add_days(Days::new(day)).expect("in range")
}

pub(super) fn registered(at: DateTime<Utc>, limit: i64) -> CustomerEvent {
    CustomerEvent::CustomerRegistered(CustomerRegistered {
        customer_id: CustomerId::parse("C-1").expect("valid"),
        name: CustomerName::parse("Asha Rao").expect("valid"),
        phone: PhoneNumber::parse("+919800000001").expect("valid"),
        credit_limit_minor: limit,
        currency: Currency::parse("INR").expect("valid"),
        opened_at: at,
    })
}

pub(super) fn limit_changed(at: DateTime<Utc>, from: i64, to: i64) -> CustomerEvent {
    CustomerEvent::CreditLimitChanged(CreditLimitChanged {
        previous_limit_minor: from,
        credit_limit_minor: to,
        effective_at: at,
    })
}

pub(super) fn txn(
    at: DateTime<Utc>,
    kind: TransactionKind,
    amount: i64,
    mcc: Option<&str>,
) -> CustomerEvent {
    CustomerEvent::TransactionRecorded(TransactionRecorded {
        transaction_id: ExternalId::parse(&format!("T-{}", at.timestamp())).expect("valid"),
        amount_minor: amount,
        currency: Currency::parse("INR").expect("valid"),
        kind,
        merchant_category_code: mcc.map(|c| MerchantCategoryCode::parse(c).expect("valid")),
        merchant_name: None,
        channel: Channel::Pos,
        occurred_at: at,
    })
}

pub(super) fn purchase(at: DateTime<Utc>, amount: i64, mcc: &str) -> CustomerEvent {
    txn(at, TransactionKind::Purchase, amount, Some(mcc))
}

pub(super) fn statement(
    issued_at: DateTime<Utc>,
    closing: i64,
    minimum: i64,
    due: NaiveDate,
) -> CustomerEvent {
    let prev = issued_at.date_naive() - Days::new(1);
    CustomerEvent::StatementIssued(StatementIssued {
        period: StatementPeriod::parse(&prev.format("%Y-%m").to_string()).expect("valid"),
        closing_balance_minor: closing,
        minimum_due_minor: minimum,
        due_date: due,
        issued_at,
    })
}

pub(super) fn payment(at: DateTime<Utc>, amount: i64) -> CustomerEvent {
    CustomerEvent::PaymentRecorded(PaymentRecorded {
        payment_id: ExternalId::parse(&format!("P-{}", at.timestamp())).expect("valid"),
        amount_minor: amount,
        currency: Currency::parse("INR").expect("valid"),
        paid_at: at,
    })
}

pub(super) fn dpd(at: DateTime<Utc>, days: u32) -> CustomerEvent {
    CustomerEvent::DaysPastDueReported(DaysPastDueReported {
        days_past_due: days,
        as_of: at,
    })
}

/// A reversal of `of` (a transaction event), `amount` of it, at `at`.
pub(super) fn reversal(
    of: &CustomerEvent,
    at: DateTime<Utc>,
    amount: i64,
    in_full: bool,
) -> CustomerEvent {
    let CustomerEvent::TransactionRecorded(t) = of else {
        panic!("not a transaction: {of:?}");
    };
    CustomerEvent::TransactionReversed(TransactionReversed {
        reversal_id: ExternalId::parse(&format!("R-{}", at.timestamp())).expect("valid"),
        transaction_id: t.transaction_id.clone(),
        amount_minor: amount,
        reason: ReversalReason::Chargeback,
        reversed_at: at,
        kind: t.kind,
        merchant_category_code: t.merchant_category_code.clone(),
        transaction_occurred_at: t.occurred_at,
        in_full,
    })
}

/// `of` (a payment event) returned unpaid at `at`.
pub(super) fn returned(of: &CustomerEvent, at: DateTime<Utc>) -> CustomerEvent {
    let CustomerEvent::PaymentRecorded(p) = of else {
        panic!("not a payment: {of:?}");
    };
    CustomerEvent::PaymentReturned(PaymentReturned {
        payment_id: p.payment_id.clone(),
        amount_minor: p.amount_minor,
        paid_at: p.paid_at,
        reason: ReturnReason::InsufficientFunds,
        returned_at: at,
    })
}

/// `of` (a statement event) corrected at `at` to these figures.
pub(super) fn corrected(
    of: &CustomerEvent,
    at: DateTime<Utc>,
    closing: i64,
    minimum: i64,
    due: NaiveDate,
) -> CustomerEvent {
    let CustomerEvent::StatementIssued(s) = of else {
        panic!("not a statement: {of:?}");
    };
    CustomerEvent::StatementCorrected(StatementCorrected {
        correction_id: ExternalId::parse(&format!("SC-{}", at.timestamp())).expect("valid"),
        period: s.period.clone(),
        issued_at: s.issued_at,
        closing_balance_minor: closing,
        minimum_due_minor: minimum,
        due_date: due,
        corrected_at: at,
    })
}

pub(super) fn assert_finite(f: &Features) {
    for (name, v) in FEATURE_NAMES.iter().zip(f.to_vec()) {
        assert!(v.is_finite(), "{name} = {v}");
    }
}

pub(super) fn at_end(events: &[CustomerEvent], as_of: DateTime<Utc>) -> Features {
    let mut state = FeatureState::default();
    for e in events {
        state.apply(e);
    }
    let f = state.features(as_of);
    assert_eq!(f, features_from_history(events, as_of));
    assert_finite(&f);
    f
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}
