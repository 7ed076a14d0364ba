//! Corrections on the Customer aggregate: what a reversal, a returned
//! payment and a statement correction may correct, how repeats are answered
//! and what they do to the balance.

use cqrs_es::Aggregate;

use super::tests::{at, id, registered};
use super::*;
use crate::facts::KnownFacts;
use crate::values::*;

fn txn(id: &str, amount: i64, kind: TransactionKind) -> CustomerEvent {
    CustomerEvent::TransactionRecorded(TransactionRecorded {
        transaction_id: ExternalId::parse(id).expect("valid"),
        amount_minor: amount,
        currency: Currency::parse("INR").expect("valid"),
        kind,
        merchant_category_code: Some(MerchantCategoryCode::parse("5411").expect("valid")),
        merchant_name: None,
        channel: Channel::Pos,
        occurred_at: at("2026-02-03T10:00:00Z"),
    })
}

fn paid(id: &str, amount: i64) -> CustomerEvent {
    CustomerEvent::PaymentRecorded(PaymentRecorded {
        payment_id: ExternalId::parse(id).expect("valid"),
        amount_minor: amount,
        currency: Currency::parse("INR").expect("valid"),
        paid_at: at("2026-03-10T09:00:00Z"),
    })
}

fn issued() -> CustomerEvent {
    CustomerEvent::StatementIssued(StatementIssued {
        period: StatementPeriod::parse("2026-02").expect("valid"),
        closing_balance_minor: 40_000,
        minimum_due_minor: 2_000,
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 21).expect("valid"),
        issued_at: at("2026-03-01T02:00:00Z"),
    })
}

/// The aggregate after `events`, and the facts the bus would look up.
fn given(events: &[CustomerEvent]) -> (Customer, KnownFacts) {
    let mut customer = Customer::default();
    for e in std::iter::once(registered()).chain(events.iter().cloned()) {
        customer.apply(e);
    }
    (customer, KnownFacts::from_events(events))
}

fn reverse(reversal: &str, txn: &str, amount: i64) -> CustomerCommand {
    CustomerCommand::ReverseTransaction(ReverseTransaction {
        reversal_id: ExternalId::parse(reversal).expect("valid"),
        transaction_id: ExternalId::parse(txn).expect("valid"),
        amount_minor: PositiveAmount::parse(amount).expect("valid"),
        reason: ReversalReason::Chargeback,
        reversed_at: at("2026-02-10T12:00:00Z"),
    })
}

fn decide(
    events: &[CustomerEvent],
    command: CustomerCommand,
) -> Result<Option<CustomerEvent>, CustomerError> {
    let (customer, facts) = given(events);
    customer.decide(&id(), command, &facts)
}

fn field_of(result: Result<Option<CustomerEvent>, CustomerError>) -> &'static str {
    result.expect_err("refused").field().expect("names a field")
}

#[test]
fn a_reversal_needs_a_recorded_transaction_and_no_more_than_is_left_of_it() {
    let t = txn("T-1", 10_000, TransactionKind::Purchase);
    assert_eq!(
        field_of(decide(&[], reverse("R-1", "T-1", 100))),
        "transaction_id"
    );
    assert_eq!(
        field_of(decide(
            std::slice::from_ref(&t),
            reverse("R-1", "T-1", 10_001)
        )),
        "amount_minor"
    );
    let first = decide(std::slice::from_ref(&t), reverse("R-1", "T-1", 4_000))
        .expect("accepted")
        .expect("an event");
    let CustomerEvent::TransactionReversed(r) = &first else {
        panic!("{first:?}")
    };
    assert!(!r.in_full);
    assert_eq!(r.kind, TransactionKind::Purchase);
    assert_eq!(r.transaction_occurred_at, at("2026-02-03T10:00:00Z"));
    let history = [t, first.clone()];
    // 6,000 is left: 6,001 is refused, 6,000 reverses it in full.
    assert_eq!(
        field_of(decide(&history, reverse("R-2", "T-1", 6_001))),
        "amount_minor"
    );
    let rest = decide(&history, reverse("R-2", "T-1", 6_000))
        .expect("accepted")
        .expect("an event");
    assert!(matches!(&rest, CustomerEvent::TransactionReversed(r) if r.in_full));
    let (customer, _) = given(&[history[0].clone(), first, rest]);
    assert_eq!(customer.balance_minor(), 0);
}

#[test]
fn a_repeated_reversal_is_answered_as_the_first_and_a_reused_id_is_refused() {
    let t = txn("T-1", 10_000, TransactionKind::Purchase);
    let first = decide(std::slice::from_ref(&t), reverse("R-1", "T-1", 4_000))
        .expect("accepted")
        .expect("an event");
    let history = [t, first];
    assert_eq!(decide(&history, reverse("R-1", "T-1", 4_000)), Ok(None));
    assert!(matches!(
        decide(&history, reverse("R-1", "T-1", 3_000)),
        Err(CustomerError::IdReused {
            field: "reversal_id",
            ..
        })
    ));
}

#[test]
fn a_reversal_is_not_before_its_transaction_and_a_reversed_refund_raises_the_balance() {
    let t = txn("T-1", 10_000, TransactionKind::Refund);
    let mut early = reverse("R-1", "T-1", 100);
    if let CustomerCommand::ReverseTransaction(r) = &mut early {
        r.reversed_at = at("2026-02-03T09:59:59Z");
    }
    assert_eq!(
        field_of(decide(std::slice::from_ref(&t), early)),
        "reversed_at"
    );
    let r = decide(std::slice::from_ref(&t), reverse("R-1", "T-1", 10_000))
        .expect("accepted")
        .expect("an event");
    let (customer, _) = given(&[t, r]);
    assert_eq!(
        customer.balance_minor(),
        0,
        "−10,000 refunded, +10,000 reversed"
    );
}

fn return_of(payment: &str, when: &str) -> CustomerCommand {
    CustomerCommand::ReturnPayment(ReturnPayment {
        payment_id: ExternalId::parse(payment).expect("valid"),
        reason: ReturnReason::InsufficientFunds,
        returned_at: at(when),
    })
}

#[test]
fn a_payment_is_returned_once_with_its_whole_amount() {
    let p = paid("P-1", 7_500);
    assert_eq!(
        field_of(decide(&[], return_of("P-1", "2026-03-12T06:00:00Z"))),
        "payment_id"
    );
    assert_eq!(
        field_of(decide(
            std::slice::from_ref(&p),
            return_of("P-1", "2026-03-09T06:00:00Z")
        )),
        "returned_at"
    );
    let back = decide(
        std::slice::from_ref(&p),
        return_of("P-1", "2026-03-12T06:00:00Z"),
    )
    .expect("accepted")
    .expect("an event");
    assert!(matches!(&back, CustomerEvent::PaymentReturned(r) if r.amount_minor == 7_500));
    let history = [p, back];
    assert_eq!(
        decide(&history, return_of("P-1", "2026-03-12T06:00:00Z")),
        Ok(None)
    );
    assert_eq!(
        field_of(decide(&history, return_of("P-1", "2026-03-13T06:00:00Z"))),
        "payment_id"
    );
    let (customer, _) = given(&history);
    assert_eq!(customer.balance_minor(), 0, "paid 7,500, then it came back");
}

fn correction(id: &str, period: &str, closing: i64, minimum: i64) -> CustomerCommand {
    CustomerCommand::CorrectStatement(CorrectStatement {
        correction_id: ExternalId::parse(id).expect("valid"),
        period: StatementPeriod::parse(period).expect("valid"),
        closing_balance_minor: Balance::parse(closing).expect("valid"),
        minimum_due_minor: NonNegativeAmount::parse(minimum).expect("valid"),
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 25).expect("valid"),
        corrected_at: at("2026-03-02T08:00:00Z"),
    })
}

#[test]
fn a_statement_correction_needs_the_statement_and_consistent_figures() {
    let s = issued();
    assert_eq!(
        field_of(decide(
            std::slice::from_ref(&s),
            correction("SC-1", "2026-01", 30_000, 1_500)
        )),
        "period"
    );
    assert_eq!(
        field_of(decide(
            std::slice::from_ref(&s),
            correction("SC-1", "2026-02", 1_000, 1_500)
        )),
        "minimum_due_minor"
    );
    let done = decide(
        std::slice::from_ref(&s),
        correction("SC-1", "2026-02", 30_000, 1_500),
    )
    .expect("accepted")
    .expect("an event");
    let CustomerEvent::StatementCorrected(c) = &done else {
        panic!("{done:?}")
    };
    assert_eq!(c.issued_at, at("2026-03-01T02:00:00Z"));
    let history = [s, done];
    assert_eq!(
        decide(&history, correction("SC-1", "2026-02", 30_000, 1_500)),
        Ok(None)
    );
    assert!(matches!(
        decide(&history, correction("SC-1", "2026-02", 31_000, 1_500)),
        Err(CustomerError::IdReused {
            field: "correction_id",
            ..
        })
    ));
}

#[test]
fn corrections_are_checked_for_the_future_and_looked_up_with_what_they_correct() {
    let command = return_of("P-1", "2026-03-12T06:00:00Z");
    assert_eq!(
        command.lookup_keys(),
        vec!["payment_return:P-1".to_owned(), "payment:P-1".to_owned()]
    );
    let now = at("2026-03-01T00:00:00Z");
    let refused = command
        .check_not_future(now, chrono::Duration::minutes(5))
        .expect_err("eleven days ahead");
    assert_eq!(refused.field(), Some("returned_at"));
}
