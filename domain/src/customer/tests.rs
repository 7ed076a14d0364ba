//! Given/when/then tests of the Customer aggregate (cqrs-es `TestFramework`).

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::facts::KnownFacts;
use crate::values::*;

type CustomerTest = TestFramework<Customer>;

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

pub(super) fn id() -> CustomerId {
    CustomerId::parse("C-1").expect("valid")
}

pub(super) fn cmd(command: CustomerCommand) -> Addressed {
    Addressed {
        customer_id: id(),
        command,
    }
}

fn register() -> RegisterCustomer {
    RegisterCustomer {
        name: CustomerName::parse("Asha Rao").expect("valid"),
        phone: PhoneNumber::parse("+919800000001").expect("valid"),
        credit_limit_minor: NonNegativeAmount::parse(100_000_00).expect("valid"),
        currency: Currency::parse("INR").expect("valid"),
        opened_at: at("2026-01-01T00:00:00Z"),
    }
}

pub(super) fn registered() -> CustomerEvent {
    let r = register();
    CustomerEvent::CustomerRegistered(CustomerRegistered {
        customer_id: id(),
        name: r.name,
        phone: r.phone,
        credit_limit_minor: r.credit_limit_minor.minor(),
        currency: r.currency,
        opened_at: r.opened_at,
    })
}

fn purchase(txn: &str, amount: i64) -> RecordTransaction {
    RecordTransaction {
        transaction_id: ExternalId::parse(txn).expect("valid"),
        amount_minor: PositiveAmount::parse(amount).expect("valid"),
        currency: Currency::parse("INR").expect("valid"),
        kind: TransactionKind::Purchase,
        merchant_category_code: Some(MerchantCategoryCode::parse("5411").expect("valid")),
        merchant_name: Some(MerchantName::parse("Fresh Mart").expect("valid")),
        channel: Channel::Pos,
        occurred_at: at("2026-02-03T10:00:00Z"),
    }
}

fn recorded(c: &RecordTransaction) -> CustomerEvent {
    CustomerEvent::TransactionRecorded(TransactionRecorded {
        transaction_id: c.transaction_id.clone(),
        amount_minor: c.amount_minor.minor(),
        currency: c.currency.clone(),
        kind: c.kind,
        merchant_category_code: c.merchant_category_code.clone(),
        merchant_name: c.merchant_name.clone(),
        channel: c.channel,
        occurred_at: c.occurred_at,
    })
}

fn statement(period: &str) -> IssueStatement {
    let p = StatementPeriod::parse(period).expect("valid");
    let closed = p.end_exclusive();
    IssueStatement {
        period: p,
        closing_balance_minor: Balance::parse(50_000).expect("valid"),
        minimum_due_minor: NonNegativeAmount::parse(2_500).expect("valid"),
        due_date: closed + chrono::Days::new(20),
        issued_at: closed.and_hms_opt(2, 0, 0).expect("valid").and_utc(),
    }
}

#[test]
fn registering_a_new_customer_records_it() {
    CustomerTest::with(KnownFacts::none())
        .given_no_previous_events()
        .when(cmd(CustomerCommand::RegisterCustomer(register())))
        .then_expect_events(vec![registered()]);
}

#[test]
fn repeating_an_identical_registration_is_a_no_op() {
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RegisterCustomer(register())))
        .then_expect_events(vec![]);
}

#[test]
fn registering_again_with_other_details_is_refused() {
    let mut other = register();
    other.phone = PhoneNumber::parse("+919800000002").expect("valid");
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RegisterCustomer(other)))
        .then_expect_error(CustomerError::AlreadyRegistered);
}

#[test]
fn activity_on_an_unknown_customer_is_refused() {
    CustomerTest::with(KnownFacts::none())
        .given_no_previous_events()
        .when(cmd(CustomerCommand::RecordTransaction(purchase("T1", 500))))
        .then_expect_error(CustomerError::NotRegistered);
}

#[test]
fn a_transaction_is_recorded() {
    let t = purchase("T1", 500);
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RecordTransaction(t.clone())))
        .then_expect_events(vec![recorded(&t)]);
}

#[test]
fn a_repeated_transaction_id_is_an_idempotent_no_op() {
    let t = purchase("T1", 500);
    let given = vec![registered(), recorded(&t)];
    CustomerTest::with(KnownFacts::from_events(&given))
        .given(given)
        .when(cmd(CustomerCommand::RecordTransaction(t)))
        .then_expect_events(vec![]);
}

#[test]
fn a_transaction_id_reused_for_a_different_amount_is_refused() {
    let t = purchase("T1", 500);
    let given = vec![registered(), recorded(&t)];
    CustomerTest::with(KnownFacts::from_events(&given))
        .given(given)
        .when(cmd(CustomerCommand::RecordTransaction(purchase("T1", 900))))
        .then_expect_error(CustomerError::IdReused {
            field: "transaction_id",
            id: "T1".into(),
        });
}

#[test]
fn a_transaction_in_another_currency_is_refused() {
    let mut t = purchase("T1", 500);
    t.currency = Currency::parse("EUR").expect("valid");
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RecordTransaction(t)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("currency"));
}

#[test]
fn a_transaction_before_the_account_opened_is_refused() {
    let mut t = purchase("T1", 500);
    t.occurred_at = at("2025-12-31T23:59:59Z");
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RecordTransaction(t)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("occurred_at"));
}

#[test]
fn a_purchase_needs_a_merchant_category() {
    let mut t = purchase("T1", 500);
    t.merchant_category_code = None;
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RecordTransaction(t)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("merchant_category_code"));
}

#[test]
fn statements_must_follow_each_other() {
    let first = statement("2026-02");
    let issued = Customer::default()
        .decide(
            &id(),
            CustomerCommand::RegisterCustomer(register()),
            &KnownFacts::none(),
        )
        .expect("ok")
        .expect("event");
    let mut customer = Customer::default();
    cqrs_es::Aggregate::apply(&mut customer, issued);
    let first_event = customer
        .decide(
            &id(),
            CustomerCommand::IssueStatement(first.clone()),
            &KnownFacts::none(),
        )
        .expect("ok")
        .expect("event");
    cqrs_es::Aggregate::apply(&mut customer, first_event.clone());
    let facts = KnownFacts::from_events([&first_event]);
    // The same statement again is a repeat, not an error.
    assert_eq!(
        customer.decide(&id(), CustomerCommand::IssueStatement(first), &facts),
        Ok(None)
    );
    // An earlier period after a later one is refused.
    let err = customer
        .decide(
            &id(),
            CustomerCommand::IssueStatement(statement("2026-01")),
            &facts,
        )
        .expect_err("out of order");
    assert_eq!(err.field(), Some("period"));
}

#[test]
fn a_statement_cannot_be_issued_before_its_period_closes() {
    let mut s = statement("2026-02");
    s.issued_at = at("2026-02-20T00:00:00Z");
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::IssueStatement(s)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("issued_at"));
}

#[test]
fn a_minimum_due_above_the_balance_is_refused() {
    let mut s = statement("2026-02");
    s.minimum_due_minor = NonNegativeAmount::parse(60_000).expect("valid");
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::IssueStatement(s)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("minimum_due_minor"));
}

#[test]
fn days_past_due_above_ten_years_is_refused() {
    let c = ReportDaysPastDue {
        days_past_due: MAX_DAYS_PAST_DUE + 1,
        as_of: at("2026-03-01T00:00:00Z"),
    };
    let err = CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::ReportDaysPastDue(c)))
        .inspect_result()
        .expect_err("refused");
    assert_eq!(err.field(), Some("days_past_due"));
}

#[test]
fn an_unchanged_credit_limit_records_nothing_and_a_new_one_records_the_change() {
    let same = ChangeCreditLimit {
        credit_limit_minor: NonNegativeAmount::parse(100_000_00).expect("valid"),
        effective_at: at("2026-03-01T00:00:00Z"),
    };
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::ChangeCreditLimit(same)))
        .then_expect_events(vec![]);
    let raised = ChangeCreditLimit {
        credit_limit_minor: NonNegativeAmount::parse(150_000_00).expect("valid"),
        effective_at: at("2026-03-01T00:00:00Z"),
    };
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::ChangeCreditLimit(raised)))
        .then_expect_events(vec![CustomerEvent::CreditLimitChanged(
            CreditLimitChanged {
                previous_limit_minor: 100_000_00,
                credit_limit_minor: 150_000_00,
                effective_at: at("2026-03-01T00:00:00Z"),
            },
        )]);
}

#[test]
fn the_balance_follows_debits_refunds_and_payments() {
    let mut c = Customer::default();
    cqrs_es::Aggregate::apply(&mut c, registered());
    cqrs_es::Aggregate::apply(&mut c, recorded(&purchase("T1", 1_000)));
    let mut refund = purchase("T2", 300);
    refund.kind = TransactionKind::Refund;
    cqrs_es::Aggregate::apply(&mut c, recorded(&refund));
    cqrs_es::Aggregate::apply(
        &mut c,
        CustomerEvent::PaymentRecorded(PaymentRecorded {
            payment_id: ExternalId::parse("P1").expect("valid"),
            amount_minor: 1_200,
            currency: Currency::parse("INR").expect("valid"),
            paid_at: at("2026-02-10T00:00:00Z"),
        }),
    );
    assert_eq!(c.balance_minor(), 1_000 - 300 - 1_200);
    let _ = NaiveDate::from_ymd_opt(2026, 1, 1);
}

fn assessment(decision_id: &str, utilisation: f64) -> RecordRiskAssessment {
    let model = crate::risk::demo_artifact();
    let quiet =
        crate::features::features_from_history(std::iter::empty(), at("2026-02-03T10:00:00Z"));
    let features = crate::features::Features {
        utilisation,
        ..quiet
    };
    let a = crate::risk::assess(&model, &features);
    RecordRiskAssessment {
        decision_id: decision_id.into(),
        trigger: DecisionTrigger {
            sequence: 2,
            global_position: 7,
            event_type: "TransactionRecorded".into(),
        },
        checkpoint: LogCheckpoint {
            tx_id: 700,
            position: 7,
        },
        as_of: at("2026-02-03T10:00:00Z"),
        model_version: model.version(),
        rule_set_version: model.rules.version.clone(),
        features,
        scores: a.scores,
        fired_rules: a.fired_rules,
        band: a.band,
        explanation: a.explanation,
        reasons: a.reasons,
    }
}

fn assessed(a: &RecordRiskAssessment, before: crate::risk::Band) -> CustomerEvent {
    CustomerEvent::RiskAssessed(Box::new(RiskAssessed {
        assessment: a.clone(),
        band_before: before,
    }))
}

#[test]
fn a_change_of_band_is_recorded_with_the_band_before() {
    let a = assessment("C-1:7", 0.95);
    assert_eq!(
        a.band,
        crate::risk::Band::High,
        "utilisation above 90% is High by rule"
    );
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered()])
        .when(cmd(CustomerCommand::RecordRiskAssessment(Box::new(
            a.clone(),
        ))))
        .then_expect_events(vec![assessed(&a, crate::risk::Band::Low)]);
}

#[test]
fn the_same_band_and_rules_again_is_no_decision() {
    let first = assessment("C-1:7", 0.95);
    let again = assessment("C-1:9", 0.96);
    CustomerTest::with(KnownFacts::none())
        .given(vec![registered(), assessed(&first, crate::risk::Band::Low)])
        .when(cmd(CustomerCommand::RecordRiskAssessment(Box::new(again))))
        .then_expect_events(vec![]);
}

#[test]
fn a_replayed_decision_is_a_no_op_and_a_reused_id_is_refused() {
    let first = assessment("C-1:7", 0.95);
    let given = vec![registered(), assessed(&first, crate::risk::Band::Low)];
    CustomerTest::with(KnownFacts::from_events(&given))
        .given(given.clone())
        .when(cmd(CustomerCommand::RecordRiskAssessment(Box::new(first))))
        .then_expect_events(vec![]);
    let other = assessment("C-1:7", 0.10);
    CustomerTest::with(KnownFacts::from_events(&given))
        .given(given)
        .when(cmd(CustomerCommand::RecordRiskAssessment(Box::new(other))))
        .then_expect_error(CustomerError::IdReused {
            field: "decision_id",
            id: "C-1:7".into(),
        });
}

#[test]
fn a_decision_needs_a_registered_customer() {
    CustomerTest::with(KnownFacts::none())
        .given_no_previous_events()
        .when(cmd(CustomerCommand::RecordRiskAssessment(Box::new(
            assessment("C-1:7", 0.95),
        ))))
        .then_expect_error(CustomerError::NotRegistered);
}
