//! Tests of the login stream: limits, the lock, single use and expiry.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;

use super::*;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+919800000001").expect("phone")
}

fn customer() -> Option<CustomerId> {
    Some(CustomerId::parse("C-1").expect("id"))
}

fn request(n: u32, customer: Option<CustomerId>, now: DateTime<Utc>) -> LoginCommand {
    LoginCommand::RequestOtp(RequestOtp {
        otp_id: ExternalId::parse(&format!("otp-{n}")).expect("id"),
        customer_id: customer,
        code_hash: format!("hash-{n}"),
        sealed_code: None,
        now,
    })
}

fn verify(hash: &str, now: DateTime<Utc>) -> LoginCommand {
    LoginCommand::VerifyOtp(VerifyOtp {
        code_hash: hash.into(),
        now,
    })
}

/// Runs commands, folding events; returns each command's result.
fn run(login: &mut Login, commands: Vec<LoginCommand>) -> Vec<Result<Vec<String>, LoginError>> {
    commands
        .into_iter()
        .map(|c| {
            let events = login.decide(&phone(), c)?;
            let names = events
                .iter()
                .map(cqrs_es::DomainEvent::event_type)
                .collect();
            for e in events {
                login.apply(e);
            }
            Ok(names)
        })
        .collect()
}

#[test]
fn the_right_code_signs_in_once_and_only_within_five_minutes() {
    let mut l = Login::default();
    let r = run(
        &mut l,
        vec![
            request(1, customer(), t0()),
            verify("hash-1", t0() + Duration::minutes(4)),
            verify("hash-1", t0() + Duration::minutes(4)),
            request(2, customer(), t0() + Duration::minutes(5)),
            verify("hash-2", t0() + Duration::minutes(10)),
        ],
    );
    assert_eq!(r[1].as_deref(), Ok(&["OtpVerified".to_owned()][..]));
    assert_eq!(
        r[2].as_deref(),
        Ok(&["OtpRejected".to_owned()][..]),
        "reused"
    );
    assert_eq!(
        r[4].as_deref(),
        Ok(&["OtpRejected".to_owned()][..]),
        "expired"
    );
}

#[test]
fn only_the_first_sign_in_is_a_first_login() {
    let mut l = Login::default();
    let mut firsts = Vec::new();
    for n in 0..3 {
        let at = t0() + Duration::minutes(i64::from(n) * 10);
        for e in l
            .decide(&phone(), request(n, customer(), at))
            .expect("issued")
        {
            l.apply(e);
        }
        for e in l
            .decide(&phone(), verify(&format!("hash-{n}"), at))
            .expect("verified")
        {
            if let LoginEvent::OtpVerified(v) = &e {
                firsts.push(v.first_login);
            }
            l.apply(e);
        }
    }
    assert_eq!(firsts, [true, false, false]);
}

#[test]
fn codes_are_limited_to_one_per_30_seconds_and_five_per_hour() {
    let mut l = Login::default();
    let r = run(
        &mut l,
        vec![
            request(1, customer(), t0()),
            request(2, customer(), t0() + Duration::seconds(10)),
        ],
    );
    assert_eq!(
        r[1],
        Err(LoginError::TooManyCodes {
            retry_after_secs: 20
        })
    );
    let mut l = Login::default();
    let commands = (0..6)
        .map(|n| request(n, customer(), t0() + Duration::minutes(i64::from(n))))
        .collect();
    let r = run(&mut l, commands);
    assert!(r[..5].iter().all(Result::is_ok));
    assert_eq!(
        r[5],
        Err(LoginError::TooManyCodes {
            retry_after_secs: 55 * 60
        })
    );
}

#[test]
fn five_wrong_codes_lock_the_phone_for_15_minutes_and_kill_the_code() {
    let mut l = Login::default();
    let mut commands = vec![request(1, customer(), t0())];
    for s in 1..=5 {
        commands.push(verify("guess", t0() + Duration::seconds(s)));
    }
    // The right code during the lock does not work …
    commands.push(verify("hash-1", t0() + Duration::seconds(6)));
    // … nor after it: the guessed-at code died with the lock.
    commands.push(verify("hash-1", t0() + Duration::minutes(16)));
    let r = run(&mut l, commands);
    assert_eq!(
        r[5].as_deref(),
        Ok(&["OtpRejected".to_owned(), "LoginLocked".to_owned()][..])
    );
    assert!(matches!(r[6], Err(LoginError::Locked { .. })));
    assert_eq!(r[7].as_deref(), Ok(&["OtpRejected".to_owned()][..]));
    let again = l.decide(
        &phone(),
        request(2, customer(), t0() + Duration::minutes(5)),
    );
    assert!(
        matches!(again, Err(LoginError::Locked { retry_after_secs }) if retry_after_secs == 605)
    );
}

#[test]
fn a_phone_that_is_no_customers_never_signs_in_even_with_the_right_hash() {
    let mut l = Login::default();
    let r = run(
        &mut l,
        vec![
            request(1, None, t0()),
            verify("hash-1", t0() + Duration::seconds(5)),
        ],
    );
    assert_eq!(r[1].as_deref(), Ok(&["OtpRejected".to_owned()][..]));
}

#[test]
fn delivery_reports_need_an_issued_code() {
    let mut l = Login::default();
    run(&mut l, vec![request(1, customer(), t0())]);
    let report = |id: &str| {
        LoginCommand::RecordOtpDelivery(OtpDelivery {
            otp_id: ExternalId::parse(id).expect("id"),
            wamid: Some("wamid.1".into()),
            error: None,
            at: t0(),
        })
    };
    assert!(l.decide(&phone(), report("otp-1")).is_ok());
    assert_eq!(
        l.decide(&phone(), report("otp-9")),
        Err(LoginError::UnknownOtp)
    );
}
