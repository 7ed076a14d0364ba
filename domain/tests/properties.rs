//! Property tests of the `Customer` aggregate and the behavioural features:
//! any generated sequence of commands (valid, invalid, repeated, reusing ids,
//! out of order) decided one by one keeps the aggregate's invariants, and
//! the features computed from whatever was recorded stay finite and in their
//! documented ranges.
//!
//! Invariants checked after every command:
//! - a refused command records nothing and names its field (when it has one);
//! - nothing is recorded for an unregistered customer, or before opening;
//! - the balance is debits − refunds − payments over the recorded events;
//! - the credit limit is the last one recorded, and each change records the
//!   limit it replaced;
//! - statement periods strictly increase; each statement is issued after
//!   its period closes, due on or after issue, with minimum ≤ closing;
//! - dedup keys are unique, and resending any accepted command records
//!   nothing (idempotency);
//! - replaying the recorded events (and a JSON snapshot) rebuilds the same
//!   state (determinism).
//!
//! Case count: `PROPTEST_CASES` (default 64 here, for CI; `scripts/fuzz`
//! runs thousands).

use chrono::{DateTime, Days, Duration, NaiveDate, TimeZone, Utc};
use cqrs_es::Aggregate;
use domain::customer::*;
use domain::features::{features_from_history, FeatureState, Features};
use domain::values::*;
use domain::{Customer, CustomerCommand, CustomerError, CustomerEvent, KnownFacts};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn day(d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, hour % 24, 0, 0)
        .single()
        .expect("valid time")
        + Days::new(u64::from(d))
}

fn id(prefix: &str, n: u8) -> ExternalId {
    ExternalId::parse(&format!("{prefix}-{n}")).expect("valid id")
}

fn currency(ok: bool) -> Currency {
    Currency::parse(if ok { "INR" } else { "USD" }).expect("valid currency")
}

fn amount(v: i64) -> impl Strategy<Value = i64> {
    prop_oneof![1..=v, Just(MAX_AMOUNT_MINOR), 1..=100i64]
}

/// One generated command (before it becomes a `CustomerCommand`).
#[derive(Clone, Debug)]
enum Step {
    Register {
        limit: i64,
        day: u32,
    },
    ChangeLimit {
        limit: i64,
        day: u32,
    },
    Transaction {
        n: u8,
        amount: i64,
        kind: u8,
        mcc: bool,
        day: u32,
        inr: bool,
    },
    Statement {
        month: u32,
        closing: i64,
        minimum: i64,
        issue_after: i64,
        due_after: i64,
    },
    Payment {
        n: u8,
        amount: i64,
        day: u32,
        inr: bool,
    },
    DaysPastDue {
        days: u32,
        day: u32,
    },
    /// Resend the command of an earlier step (index modulo the steps so far).
    Resend(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0..=2_000_000i64, 0..40u32).prop_map(|(limit, day)| Step::Register { limit, day }),
        1 => (0..=2_000_000i64, 0..400u32).prop_map(|(limit, day)| Step::ChangeLimit { limit, day }),
        6 => (0..12u8, amount(500_000), 0..4u8, prop::bool::weighted(0.9), 0..400u32, prop::bool::weighted(0.95))
            .prop_map(|(n, amount, kind, mcc, day, inr)| Step::Transaction { n, amount, kind, mcc, day, inr }),
        2 => (0..15u32, -50_000..2_000_000i64, 0..2_000_000i64, -3..10i64, -2..30i64)
            .prop_map(|(month, closing, minimum, issue_after, due_after)| Step::Statement { month, closing, minimum, issue_after, due_after }),
        3 => (0..8u8, amount(1_000_000), 0..400u32, prop::bool::weighted(0.95))
            .prop_map(|(n, amount, day, inr)| Step::Payment { n, amount, day, inr }),
        1 => (prop_oneof![0..200u32, 3_640..3_700u32], 0..400u32).prop_map(|(days, day)| Step::DaysPastDue { days, day }),
        1 => any::<usize>().prop_map(Step::Resend),
    ]
}

fn command(step: &Step, history: &[CustomerCommand]) -> Option<CustomerCommand> {
    Some(match step {
        Step::Register { limit, day: d } => CustomerCommand::RegisterCustomer(RegisterCustomer {
            name: CustomerName::parse("Asha Rao").expect("valid"),
            phone: PhoneNumber::parse("+919800000001").expect("valid"),
            credit_limit_minor: NonNegativeAmount::parse(*limit).expect("valid"),
            currency: currency(true),
            opened_at: day(*d, 9),
        }),
        Step::ChangeLimit { limit, day: d } => {
            CustomerCommand::ChangeCreditLimit(ChangeCreditLimit {
                credit_limit_minor: NonNegativeAmount::parse(*limit).expect("valid"),
                effective_at: day(*d, 10),
            })
        }
        Step::Transaction {
            n,
            amount,
            kind,
            mcc,
            day: d,
            inr,
        } => {
            let kind = [
                TransactionKind::Purchase,
                TransactionKind::CashWithdrawal,
                TransactionKind::Refund,
                TransactionKind::Fee,
            ][usize::from(*kind) % 4];
            CustomerCommand::RecordTransaction(RecordTransaction {
                transaction_id: id("T", *n),
                amount_minor: PositiveAmount::parse(*amount).expect("valid"),
                currency: currency(*inr),
                kind,
                merchant_category_code: mcc.then(|| {
                    MerchantCategoryCode::parse(
                        ["5411", "6011", "5812", "4111"][usize::from(*n) % 4],
                    )
                    .expect("valid")
                }),
                merchant_name: None,
                channel: Channel::Pos,
                occurred_at: day(*d, u32::from(*n)),
            })
        }
        Step::Statement {
            month,
            closing,
            minimum,
            issue_after,
            due_after,
        } => {
            let period =
                StatementPeriod::parse(&format!("{}-{:02}", 2026 + month / 12, month % 12 + 1))
                    .expect("valid period");
            let issued = period.end_exclusive() + Duration::days(*issue_after);
            let issued_at = Utc.from_utc_datetime(&issued.and_hms_opt(6, 0, 0).expect("valid"));
            CustomerCommand::IssueStatement(IssueStatement {
                period,
                closing_balance_minor: Balance::parse(*closing).expect("valid"),
                minimum_due_minor: NonNegativeAmount::parse(*minimum).expect("valid"),
                due_date: issued + Duration::days(*due_after),
                issued_at,
            })
        }
        Step::Payment {
            n,
            amount,
            day: d,
            inr,
        } => CustomerCommand::RecordPayment(RecordPayment {
            payment_id: id("P", *n),
            amount_minor: PositiveAmount::parse(*amount).expect("valid"),
            currency: currency(*inr),
            paid_at: day(*d, 12),
        }),
        Step::DaysPastDue { days, day: d } => {
            CustomerCommand::ReportDaysPastDue(ReportDaysPastDue {
                days_past_due: *days,
                as_of: day(*d, 23),
            })
        }
        Step::Resend(i) => {
            if history.is_empty() {
                return None;
            }
            history[i % history.len()].clone()
        }
    })
}

/// Checks the invariants of the state against the recorded events alone.
fn check_invariants(state: &Customer, events: &[CustomerEvent]) -> Result<(), TestCaseError> {
    let mut balance = 0i64;
    let mut limit = None;
    let mut last_period: Option<String> = None;
    let mut keys = std::collections::BTreeSet::new();
    let opened = match events.first() {
        Some(CustomerEvent::CustomerRegistered(r)) => r.opened_at,
        None => return Ok(()),
        Some(other) => return Err(TestCaseError::fail(format!("first event {other:?}"))),
    };
    for e in events {
        prop_assert!(e.occurred_at() >= opened, "event before opening: {e:?}");
        if let Some(k) = e.dedup_key() {
            prop_assert!(keys.insert(k.clone()), "dedup key {k} recorded twice");
        }
        match e {
            CustomerEvent::CustomerRegistered(r) => {
                prop_assert!(limit.is_none(), "registered twice");
                limit = Some(r.credit_limit_minor);
            }
            CustomerEvent::CreditLimitChanged(c) => {
                prop_assert_eq!(Some(c.previous_limit_minor), limit);
                prop_assert_ne!(c.previous_limit_minor, c.credit_limit_minor);
                limit = Some(c.credit_limit_minor);
            }
            CustomerEvent::TransactionRecorded(t) => {
                prop_assert_eq!(t.currency.as_str(), "INR");
                prop_assert!(t.amount_minor > 0);
                balance += if t.kind.is_debit() {
                    t.amount_minor
                } else {
                    -t.amount_minor
                };
            }
            CustomerEvent::PaymentRecorded(p) => {
                prop_assert_eq!(p.currency.as_str(), "INR");
                balance -= p.amount_minor;
            }
            CustomerEvent::StatementIssued(s) => {
                prop_assert!(
                    last_period.as_deref() < Some(s.period.as_str()),
                    "periods must increase"
                );
                prop_assert!(s.issued_at.date_naive() >= s.period.end_exclusive());
                prop_assert!(s.due_date >= s.issued_at.date_naive());
                prop_assert!(s.minimum_due_minor <= s.closing_balance_minor.max(0));
                last_period = Some(s.period.to_string());
            }
            CustomerEvent::DaysPastDueReported(d) => {
                prop_assert!(d.days_past_due <= MAX_DAYS_PAST_DUE)
            }
            other => return Err(TestCaseError::fail(format!("unexpected event {other:?}"))),
        }
    }
    prop_assert_eq!(state.balance_minor(), balance);
    prop_assert_eq!(state.profile().map(|p| p.credit_limit_minor), limit);
    Ok(())
}

fn check_features(f: &Features) -> Result<(), TestCaseError> {
    let ranges: [(&str, f64, f64, f64); 14] = [
        ("utilisation", f.utilisation, 0.0, 1.5),
        ("over_limit_count", f.over_limit_count, 0.0, 366.0),
        ("cash_withdrawal_share", f.cash_withdrawal_share, 0.0, 1.0),
        ("spend_change_pct", f.spend_change_pct, -1.0, 5.0),
        ("merchant_mix_index", f.merchant_mix_index, 0.0, 1.0),
        ("merchant_mix_change", f.merchant_mix_change, -1.0, 1.0),
        ("payment_ratio", f.payment_ratio, 0.0, 1.0),
        ("min_due_frequency", f.min_due_frequency, 0.0, 1.0),
        ("consecutive_min_only", f.consecutive_min_only, 0.0, 12.0),
        ("payment_stability", f.payment_stability, 0.0, 5.0),
        ("spend_volatility", f.spend_volatility, 0.0, 5.0),
        (
            "days_past_due",
            f.days_past_due,
            0.0,
            f64::from(MAX_DAYS_PAST_DUE),
        ),
        (
            "max_days_past_due_6m",
            f.max_days_past_due_6m,
            0.0,
            f64::from(MAX_DAYS_PAST_DUE),
        ),
        ("late_months_6m", f.late_months_6m, 0.0, 6.0),
    ];
    for (name, v, lo, hi) in ranges {
        prop_assert!(
            v.is_finite() && (lo..=hi).contains(&v),
            "{name} = {v} not in [{lo}, {hi}]"
        );
    }
    Ok(())
}

fn run(steps: &[Step]) -> Result<(usize, usize), TestCaseError> {
    let customer_id = CustomerId::parse("C-1").expect("valid");
    let mut state = Customer::default();
    let mut events: Vec<CustomerEvent> = Vec::new();
    let mut accepted: Vec<CustomerCommand> = Vec::new();
    let mut refused = 0;
    for s in steps {
        let Some(cmd) = command(s, &accepted) else {
            continue;
        };
        let facts = KnownFacts::from_events(&events);
        let before = state.clone();
        match state.decide(&customer_id, cmd.clone(), &facts) {
            Ok(Some(event)) => {
                prop_assert!(
                    state.profile().is_some()
                        || matches!(event, CustomerEvent::CustomerRegistered(_))
                );
                state.apply(event.clone());
                events.push(event);
                accepted.push(cmd.clone());
                // Idempotency: the same command again records nothing.
                let facts = KnownFacts::from_events(&events);
                let again = state.decide(&customer_id, cmd, &facts);
                prop_assert!(
                    matches!(again, Ok(None)),
                    "resend recorded or refused: {again:?}"
                );
            }
            Ok(None) => prop_assert_eq!(&state, &before),
            Err(e) => {
                refused += 1;
                prop_assert_eq!(&state, &before, "a refused command changed the state");
                if state.profile().is_none() && !matches!(cmd, CustomerCommand::RegisterCustomer(_))
                {
                    prop_assert_eq!(&e, &CustomerError::NotRegistered);
                }
                if matches!(
                    e,
                    CustomerError::Invalid { .. } | CustomerError::IdReused { .. }
                ) {
                    prop_assert!(e.field().is_some(), "{e:?} names no field");
                }
            }
        }
        check_invariants(&state, &events)?;
    }
    // Determinism: the events alone (and a snapshot) rebuild the same state.
    let mut replayed = Customer::default();
    for e in &events {
        replayed.apply(e.clone());
    }
    prop_assert_eq!(&replayed, &state);
    let snapshot: Customer =
        serde_json::from_str(&serde_json::to_string(&state).expect("json")).expect("snapshot");
    prop_assert_eq!(&snapshot, &state);

    let mut incremental = FeatureState::default();
    for e in &events {
        incremental.apply(e);
    }
    if let Some(latest) = incremental.latest_event_at() {
        for as_of in [
            latest,
            latest + Duration::days(45),
            latest + Duration::days(400),
        ] {
            let f = incremental.features(as_of);
            check_features(&f)?;
            prop_assert_eq!(
                f,
                features_from_history(&events, as_of),
                "incremental = reference"
            );
        }
        // An earlier moment too (the state ignores later events).
        check_features(&incremental.features(latest - Duration::days(20)))?;
    }
    Ok((events.len(), refused))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[test]
fn any_command_sequence_keeps_the_invariants_and_features_in_range() {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ran = std::cell::Cell::new(0u32);
    let recorded = std::cell::Cell::new(0usize);
    let refused = std::cell::Cell::new(0usize);
    // Most sequences start with a registration; some never register.
    let sequences = (
        prop::bool::weighted(0.9),
        (0..=2_000_000i64),
        prop::collection::vec(step(), 1..120),
    )
        .prop_map(|(register, limit, mut steps)| {
            if register {
                steps.insert(0, Step::Register { limit, day: 0 });
            }
            steps
        });
    runner
        .run(&sequences, |steps| {
            ran.set(ran.get() + 1);
            let (r, f) = run(&steps)?;
            recorded.set(recorded.get() + r);
            refused.set(refused.get() + f);
            Ok(())
        })
        .expect("invariants hold");
    println!(
        "properties: {} command sequences run: {} events recorded, {} commands refused",
        ran.get(),
        recorded.get(),
        refused.get()
    );
    assert!(ran.get() >= cases());
}

#[test]
fn a_statement_due_date_before_issue_is_refused_naming_the_field() {
    // A fixed example that the generator also covers, kept as a readable anchor.
    let mut state = Customer::default();
    let id = CustomerId::parse("C-1").expect("valid");
    let reg = command(
        &Step::Register {
            limit: 100_000,
            day: 0,
        },
        &[],
    )
    .expect("command");
    let e = state
        .decide(&id, reg, &KnownFacts::none())
        .expect("ok")
        .expect("event");
    state.apply(e);
    let bad = IssueStatement {
        period: StatementPeriod::parse("2026-01").expect("valid"),
        closing_balance_minor: Balance::parse(10).expect("valid"),
        minimum_due_minor: NonNegativeAmount::parse(1).expect("valid"),
        due_date: NaiveDate::from_ymd_opt(2026, 2, 1).expect("valid"),
        issued_at: day(33, 6),
    };
    let err = state
        .decide(
            &id,
            CustomerCommand::IssueStatement(bad),
            &KnownFacts::none(),
        )
        .expect_err("refused");
    assert_eq!(err.field(), Some("due_date"));
}
