//! The API description says what the API checks, with the value objects'
//! own patterns: every string a request body or path takes has a form
//! (pattern, format or enum), bodies refuse unknown fields, amounts carry
//! the domain's bounds, and the documented forms are exactly the domain's.

use domain::risk::decision::DECISION_ID_PATTERN;
use domain::values::{
    Currency, CustomerId, ExternalId, MerchantCategoryCode, PhoneNumber, StatementPeriod,
    MAX_AMOUNT_MINOR,
};
use serde_json::Value;

fn spec() -> Value {
    serde_json::to_value(api::http::openapi::spec()).expect("spec as JSON")
}

/// The component a request body of `path`'s `method` names.
fn body<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    let r = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        ["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} has a body"));
    let name = r.trim_start_matches("#/components/schemas/");
    &spec["components"]["schemas"][name]
}

#[test]
fn request_fields_carry_the_value_objects_patterns() {
    let spec = spec();
    let register = body(&spec, "/v1/customers", "post");
    assert_eq!(
        register["properties"]["customer_id"]["pattern"],
        CustomerId::PATTERN
    );
    assert_eq!(
        register["properties"]["phone"]["pattern"],
        PhoneNumber::PATTERN
    );
    assert_eq!(
        register["properties"]["currency"]["pattern"],
        Currency::PATTERN
    );
    let tx = body(&spec, "/v1/customers/{customer_id}/transactions", "post");
    assert_eq!(
        tx["properties"]["transaction_id"]["pattern"],
        ExternalId::PATTERN
    );
    assert_eq!(
        tx["properties"]["merchant_category_code"]["pattern"],
        MerchantCategoryCode::PATTERN
    );
    assert_eq!(tx["properties"]["amount_minor"]["minimum"], 1);
    assert_eq!(
        tx["properties"]["amount_minor"]["maximum"],
        MAX_AMOUNT_MINOR
    );
    let statement = body(&spec, "/v1/customers/{customer_id}/statements", "post");
    assert_eq!(
        statement["properties"]["period"]["pattern"],
        StatementPeriod::PATTERN
    );
    assert_eq!(
        statement["properties"]["closing_balance_minor"]["minimum"],
        -MAX_AMOUNT_MINOR
    );
    let otp = body(&spec, "/v1/auth/otp/request", "post");
    assert_eq!(otp["properties"]["phone"]["pattern"], PhoneNumber::PATTERN);
}

#[test]
fn every_request_string_has_a_form_and_bodies_refuse_unknown_fields() {
    let spec = spec();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if op["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_null() {
                continue;
            }
            let schema = body(&spec, path, method);
            let named = |r: &str| {
                &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]
            };
            let items = &schema["properties"]["items"]["items"]["$ref"];
            // A batch: its items are the objects with fields, each kind of
            // item when there are several.
            let schemas: Vec<&Value> = match items.as_str().map(named) {
                Some(item) => match item["oneOf"].as_array() {
                    Some(kinds) => kinds
                        .iter()
                        .map(|k| named(k["$ref"].as_str().expect("a named item kind")))
                        .collect(),
                    None => vec![item],
                },
                None => vec![schema],
            };
            for schema in schemas {
                assert_eq!(
                    schema["additionalProperties"],
                    Value::Bool(false),
                    "{method} {path} refuses unknown fields"
                );
                for (name, p) in schema["properties"].as_object().expect("properties") {
                    let is_string = p["type"] == "string"
                        || p["type"]
                            .as_array()
                            .is_some_and(|t| t.contains(&"string".into()));
                    if !is_string {
                        continue;
                    }
                    let formed = p["pattern"].is_string()
                        || (p["format"].is_string() && p["format"] != "password")
                        || p["enum"].is_array();
                    assert!(formed, "{method} {path}: {name} has no form: {p}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} fields checked");
}

#[test]
fn path_ids_carry_their_patterns() {
    let spec = spec();
    let mut seen = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for op in item.as_object().expect("item").values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let expected = match p["name"].as_str() {
                    Some("customer_id") => CustomerId::PATTERN,
                    Some("decision_id") => DECISION_ID_PATTERN,
                    _ => continue,
                };
                assert_eq!(p["schema"]["pattern"], expected, "{path} {}", p["name"]);
                seen += 1;
            }
        }
    }
    assert!(seen >= 10, "{seen}");
}
