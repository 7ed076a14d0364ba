//! Unit tests of the value objects' parsers.

use super::*;

#[test]
fn phone_numbers_must_be_e164() {
    assert!(PhoneNumber::parse("+919800000001").is_ok());
    assert!(PhoneNumber::parse("+14155550123").is_ok());
    for bad in [
        "919800000001",
        "+0919800000",
        "+12",
        "+1234567890123456",
        "+91 98000",
        "",
    ] {
        assert!(PhoneNumber::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn amounts_reject_zero_negative_and_absurd() {
    assert!(PositiveAmount::parse(1).is_ok());
    assert!(PositiveAmount::parse(0).is_err());
    assert!(PositiveAmount::parse(-5).is_err());
    assert!(PositiveAmount::parse(MAX_AMOUNT_MINOR + 1).is_err());
    assert!(NonNegativeAmount::parse(0).is_ok());
    assert!(Balance::parse(-10).is_ok());
}

#[test]
fn statement_period_knows_when_it_closed() {
    let p = StatementPeriod::parse("2026-12").expect("valid");
    assert_eq!(p.end_exclusive().to_string(), "2027-01-01");
    assert!(StatementPeriod::parse("2026-13").is_err());
    assert!(StatementPeriod::parse("26-01").is_err());
}

#[test]
fn deserialising_validates() {
    let err = serde_json::from_str::<PhoneNumber>("\"12345\"").expect_err("invalid");
    assert!(err.to_string().contains("E.164"));
    let err = serde_json::from_str::<PositiveAmount>("-1").expect_err("invalid");
    assert!(err.to_string().contains("greater than zero"));
}
