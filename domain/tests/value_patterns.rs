//! Each value object's `PATTERN` (what the API description tells clients)
//! says exactly what its `parse` accepts: every string the pattern
//! generates parses, and for arbitrary strings — random ones and ones built
//! from characters near the accepted alphabet — the pattern matches exactly
//! when `parse` accepts.

use domain::values::{
    Currency, CustomerId, CustomerName, ExternalId, MerchantCategoryCode, MerchantName,
    PhoneNumber, StatementPeriod,
};
use proptest::prelude::*;
use regex::Regex;

/// A value object under test: its pattern, its parser, and the most
/// characters the description allows (`maxLength`, when it has one).
struct Value {
    name: &'static str,
    pattern: &'static str,
    parses: fn(&str) -> bool,
    max_chars: Option<usize>,
}

fn values() -> Vec<Value> {
    vec![
        Value {
            name: "CustomerId",
            pattern: CustomerId::PATTERN,
            parses: |s| CustomerId::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "ExternalId",
            pattern: ExternalId::PATTERN,
            parses: |s| ExternalId::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "PhoneNumber",
            pattern: PhoneNumber::PATTERN,
            parses: |s| PhoneNumber::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "Currency",
            pattern: Currency::PATTERN,
            parses: |s| Currency::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "MerchantCategoryCode",
            pattern: MerchantCategoryCode::PATTERN,
            parses: |s| MerchantCategoryCode::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "StatementPeriod",
            pattern: StatementPeriod::PATTERN,
            parses: |s| StatementPeriod::parse(s).is_ok(),
            max_chars: None,
        },
        Value {
            name: "CustomerName",
            pattern: CustomerName::PATTERN,
            parses: |s| CustomerName::parse(s).is_ok(),
            max_chars: Some(CustomerName::MAX_CHARS),
        },
        Value {
            name: "MerchantName",
            pattern: MerchantName::PATTERN,
            parses: |s| MerchantName::parse(s).is_ok(),
            max_chars: Some(MerchantName::MAX_CHARS),
        },
    ]
}

/// Whether the description allows `s`: the pattern, and the length bound.
fn described(v: &Value, re: &Regex, s: &str) -> bool {
    re.is_match(s) && v.max_chars.is_none_or(|m| s.chars().count() <= m)
}

/// Strings over characters close to every accepted alphabet: digits,
/// letters, the id punctuation, `+`, `-`, spaces and control characters.
fn near_miss() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('0', '9'),
            proptest::char::range('A', 'Z'),
            proptest::char::range('a', 'z'),
            proptest::sample::select(vec![
                '+', '-', '_', '.', ':', '/', ' ', '\t', '\n', '\u{0}', '\u{7f}', '\u{85}',
                '\u{a0}', 'é', '₹'
            ]),
        ],
        0..80,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

#[test]
fn every_string_a_pattern_generates_parses() {
    for v in values() {
        let re = Regex::new(v.pattern).expect("pattern compiles");
        // The generator takes the expression without its anchors (it
        // produces whole strings anyway).
        let body = v.pattern.trim_start_matches('^').trim_end_matches('$');
        let strategy = proptest::string::string_regex(body).expect("pattern generates");
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&strategy, |s| {
                if v.max_chars.is_none_or(|m| s.chars().count() <= m) {
                    prop_assert!(re.is_match(&s));
                    prop_assert!((v.parses)(&s), "{}: {s:?} matches but is refused", v.name);
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    }
}

#[test]
fn a_pattern_matches_exactly_what_parse_accepts() {
    for v in values() {
        let re = Regex::new(v.pattern).expect("pattern compiles");
        let mut runner = proptest::test_runner::TestRunner::default();
        let strings = prop_oneof![near_miss(), any::<String>()];
        runner
            .run(&strings, |s| {
                prop_assert_eq!(
                    described(&v, &re, &s),
                    (v.parses)(&s),
                    "{}: {:?}",
                    v.name,
                    s
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    }
}

#[test]
fn the_examples_the_api_shows_are_described() {
    let cases: [(&str, &str); 6] = [
        (CustomerId::PATTERN, "C-1001"),
        (PhoneNumber::PATTERN, "+919800000001"),
        (Currency::PATTERN, "INR"),
        (MerchantCategoryCode::PATTERN, "5411"),
        (StatementPeriod::PATTERN, "2026-03"),
        (CustomerName::PATTERN, "Asha Rao"),
    ];
    for (pattern, example) in cases {
        assert!(
            Regex::new(pattern).expect("re").is_match(example),
            "{example}"
        );
    }
    // And what they refuse is refused by the pattern too.
    for (pattern, bad) in [
        (PhoneNumber::PATTERN, "+0919800000"),
        (StatementPeriod::PATTERN, "0000-01"),
        (StatementPeriod::PATTERN, "2026-13"),
        (CustomerName::PATTERN, "   "),
        (Currency::PATTERN, "inr"),
    ] {
        assert!(!Regex::new(pattern).expect("re").is_match(bad), "{bad}");
    }
}

#[test]
fn every_decision_id_the_pattern_describes_names_a_customer() {
    use domain::risk::decision::{decision_customer, DECISION_ID_PATTERN};
    let re = Regex::new(DECISION_ID_PATTERN).expect("pattern compiles");
    let body = DECISION_ID_PATTERN
        .trim_start_matches('^')
        .trim_end_matches('$');
    let strategy = proptest::string::string_regex(body).expect("pattern generates");
    proptest::test_runner::TestRunner::default()
        .run(&strategy, |id| {
            prop_assert!(re.is_match(&id));
            let customer = decision_customer(&id);
            prop_assert!(customer.is_some(), "{id:?} names no customer");
            prop_assert!(
                CustomerId::parse(customer.unwrap_or_default()).is_ok(),
                "{id:?}"
            );
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    for bad in ["C-1001", "C-1001:", "C-1001:day:2026-13-01", "C-1001:x1"] {
        assert!(!re.is_match(bad), "{bad}");
    }
}
