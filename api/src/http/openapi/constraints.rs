//! Puts what the API checks into its description, from the value objects
//! that check it: the form of every id, phone, currency, merchant category
//! code and statement period; that bodies refuse unknown fields and text
//! with control characters. Written once here, not by hand on each schema,
//! so a schema-driven fuzzer (`scripts/schemathesis`) generates data the
//! handlers accept and reaches their logic, and the description cannot
//! drift from the checks (the value objects' patterns are property-tested
//! against their parsers in `domain/tests/value_patterns.rs`).

use std::collections::BTreeSet;

use domain::risk::decision::DECISION_ID_PATTERN;
use domain::values::{
    Currency, CustomerId, CustomerName, ExternalId, MerchantCategoryCode, MerchantName,
    PhoneNumber, StatementPeriod, MAX_AMOUNT_MINOR,
};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, Object, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

use crate::http::admin::alerts::MAX_REASON;
use crate::http::admin::customers::{BANDS, SORTS};
use crate::http::audit::handlers::CLOCKS;
use crate::http::json::TEXT_PATTERN;

/// The form a string must have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Form {
    /// Regular expression it must match.
    pub pattern: &'static str,
    /// Most characters, when bounded apart from the pattern.
    pub max_chars: Option<usize>,
}

impl Form {
    const fn pattern(pattern: &'static str) -> Self {
        Self {
            pattern,
            max_chars: None,
        }
    }
}

/// The customer id the examples use (`RegisterCustomerBody`'s example
/// registers it).
pub const CUSTOMER_EXAMPLE: &str = "C-1001";

/// Text with something that is not white space (a reason, a name).
const NOT_BLANK: &str = CustomerName::PATTERN;

/// The form of a request body's string field, by its name.
pub fn field_form(name: &str) -> Option<Form> {
    Some(match name {
        "customer_id" => Form::pattern(CustomerId::PATTERN),
        "transaction_id" | "payment_id" | "reversal_id" | "correction_id" => {
            Form::pattern(ExternalId::PATTERN)
        }
        "phone" => Form::pattern(PhoneNumber::PATTERN),
        "currency" => Form::pattern(Currency::PATTERN),
        "merchant_category_code" => Form::pattern(MerchantCategoryCode::PATTERN),
        "period" => Form::pattern(StatementPeriod::PATTERN),
        "name" => Form {
            pattern: CustomerName::PATTERN,
            max_chars: Some(CustomerName::MAX_CHARS),
        },
        "merchant_name" => Form {
            pattern: MerchantName::PATTERN,
            max_chars: Some(MerchantName::MAX_CHARS),
        },
        "reason" => Form {
            pattern: NOT_BLANK,
            max_chars: Some(MAX_REASON),
        },
        _ => return None,
    })
}

/// The bounds of a request body's amount field (minor units), by its name:
/// those of the value object the command reads it into.
pub fn amount_bounds(name: &str) -> Option<(i64, i64)> {
    Some(match name {
        // `PositiveAmount`.
        "amount_minor" => (1, MAX_AMOUNT_MINOR),
        // `NonNegativeAmount`.
        "credit_limit_minor" | "minimum_due_minor" => (0, MAX_AMOUNT_MINOR),
        // `Balance`.
        "closing_balance_minor" => (-MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR),
        _ => return None,
    })
}

/// What a path or query parameter may be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParameterForm {
    /// A string of this form.
    Text(Form),
    /// One of these words.
    OneOf(&'static [&'static str]),
}

/// The form of a path or query parameter, by its name and the route's path.
pub fn parameter_form(path: &str, name: &str) -> Option<ParameterForm> {
    use ParameterForm::{OneOf, Text};
    Some(match (name, path) {
        ("customer_id", _) => Text(Form::pattern(CustomerId::PATTERN)),
        ("decision_id", _) => Text(Form::pattern(DECISION_ID_PATTERN)),
        ("to", "/v1/local/whatsapp/messages") => Text(Form::pattern(PhoneNumber::PATTERN)),
        ("band", "/v1/admin/customers") => OneOf(&BANDS),
        ("sort", "/v1/admin/customers") => OneOf(&SORTS),
        ("time", "/v1/audit/customers/{customer_id}/state") => OneOf(&CLOCKS),
        _ => return None,
    })
}

/// The modifier.
pub struct ValueConstraints;

impl Modify for ValueConstraints {
    fn modify(&self, openapi: &mut OpenApi) {
        let bodies = request_body_schemas(openapi);
        if let Some(components) = openapi.components.as_mut() {
            for name in &bodies {
                let merged = match components.schemas.get(name) {
                    Some(RefOr::T(Schema::AllOf(all))) => merge(&all.items, &components.schemas),
                    _ => None,
                };
                if let Some(object) = merged {
                    components
                        .schemas
                        .insert(name.clone(), RefOr::T(Schema::Object(object)));
                }
            }
            for name in &bodies {
                if let Some(schema) = components.schemas.get_mut(name) {
                    constrain(schema, true);
                }
            }
            // An answer that flattens another type (the decision record
            // flattens the assessment, which as a command refuses unknown
            // fields) is one object listing both, open: as an `allOf`, the
            // flattened part's closedness would refuse the record's own fields.
            let answers: Vec<String> = components
                .schemas
                .iter()
                .filter(|(n, s)| !bodies.contains(*n) && matches!(s, RefOr::T(Schema::AllOf(_))))
                .map(|(n, _)| n.clone())
                .collect();
            for name in answers {
                let merged = match components.schemas.get(&name) {
                    Some(RefOr::T(Schema::AllOf(all))) => merge(&all.items, &components.schemas),
                    _ => None,
                };
                if let Some(object) = merged {
                    components
                        .schemas
                        .insert(name, RefOr::T(Schema::Object(object)));
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                if let Some(body) = operation.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let Some(schema) = content.schema.as_mut() {
                            constrain(schema, true);
                        }
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    let (Some(form), Some(RefOr::T(Schema::Object(o)))) = (
                        parameter_form(path, &parameter.name),
                        parameter.schema.as_mut(),
                    ) else {
                        continue;
                    };
                    match form {
                        ParameterForm::Text(form) => {
                            o.pattern = Some(form.pattern.to_owned());
                            o.max_length = form.max_chars;
                            if parameter.name == "customer_id" && o.examples.is_empty() {
                                // The customer the body examples register.
                                o.examples = vec![CUSTOMER_EXAMPLE.into()];
                            }
                        }
                        ParameterForm::OneOf(words) => {
                            o.enum_values = Some(words.iter().map(|w| (*w).into()).collect());
                        }
                    }
                }
            }
        }
    }
}

/// The component schemas request bodies use, directly or nested.
fn request_body_schemas(openapi: &OpenApi) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    for item in openapi.paths.paths.values() {
        for operation in [&item.post, &item.put, &item.patch].into_iter().flatten() {
            for content in operation
                .request_body
                .iter()
                .flat_map(|b| b.content.values())
            {
                if let Some(schema) = &content.schema {
                    refs(schema, &mut todo);
                }
            }
        }
    }
    let components = openapi.components.as_ref();
    while let Some(name) = todo.pop() {
        if !found.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.and_then(|c| c.schemas.get(&name)) {
            refs(schema, &mut todo);
        }
    }
    found
}

/// Names of the components `schema` refers to.
fn refs(schema: &RefOr<Schema>, out: &mut Vec<String>) {
    match schema {
        RefOr::Ref(r) => {
            if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                out.push(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(o)) => o.properties.values().for_each(|p| refs(p, out)),
        RefOr::T(Schema::Array(a)) => {
            if let ArrayItems::RefOrSchema(item) = &a.items {
                refs(item, out);
            }
        }
        RefOr::T(Schema::AllOf(all)) => all.items.iter().for_each(|p| refs(p, out)),
        RefOr::T(Schema::OneOf(one)) => one.items.iter().for_each(|p| refs(p, out)),
        RefOr::T(_) => {}
    }
}

/// One object with the fields of every part of an `allOf` (what
/// `#[serde(flatten)]` documents), so that it too can refuse fields it does
/// not list; none when a part is not a plain object.
fn merge(
    parts: &[RefOr<Schema>],
    schemas: &std::collections::BTreeMap<String, RefOr<Schema>>,
) -> Option<Object> {
    let mut merged = Object::new();
    for part in parts {
        let object = match part {
            RefOr::T(Schema::Object(o)) => o,
            RefOr::Ref(r) => match r
                .ref_location
                .strip_prefix("#/components/schemas/")
                .and_then(|name| schemas.get(name))
            {
                Some(RefOr::T(Schema::Object(o))) => o,
                _ => return None,
            },
            RefOr::T(_) => return None,
        };
        merged.schema_type = object.schema_type.clone();
        merged.properties.extend(object.properties.clone());
        merged.required.extend(object.required.iter().cloned());
        if merged.example.is_none() {
            merged.example = object.example.clone();
        }
    }
    Some(merged)
}

fn number(v: i64) -> utoipa::Number {
    utoipa::Number::Int(isize::try_from(v).unwrap_or(if v < 0 { isize::MIN } else { isize::MAX }))
}

/// Whether `t` is (or may be) a string.
fn is_string(t: &SchemaType) -> bool {
    match t {
        SchemaType::Type(Type::String) => true,
        SchemaType::Array(types) => types.contains(&Type::String),
        _ => false,
    }
}

/// Constrains a request body's schema in place. `closed`: whether the
/// object may refuse fields it does not list (not so for the parts of an
/// `allOf`, whose other parts list more).
fn constrain(schema: &mut RefOr<Schema>, closed: bool) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::Object(o) if !o.properties.is_empty() => {
            if closed {
                // `StrictJson` refuses unknown fields.
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            for (name, property) in o.properties.iter_mut() {
                if let RefOr::T(Schema::Object(p)) = property {
                    // A password is free text too; other formats (dates,
                    // moments) say their own form.
                    let free = match &p.format {
                        None => true,
                        Some(f) => *f == SchemaFormat::KnownFormat(KnownFormat::Password),
                    };
                    if is_string(&p.schema_type) && free && p.enum_values.is_none() {
                        match field_form(name) {
                            Some(form) => {
                                p.pattern = Some(form.pattern.to_owned());
                                p.max_length = form.max_chars;
                            }
                            None if p.pattern.is_none() => {
                                p.pattern = Some(TEXT_PATTERN.to_owned());
                            }
                            None => {}
                        }
                        continue;
                    }
                    if let Some((low, high)) = amount_bounds(name) {
                        p.minimum = Some(number(low));
                        p.maximum = Some(number(high));
                        continue;
                    }
                }
                constrain(property, true);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(item) = &mut a.items {
                constrain(item, true);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(|p| constrain(p, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::json::is_refused_control;

    #[test]
    fn the_text_pattern_refuses_exactly_the_refused_control_characters() {
        let re = regex::Regex::new(TEXT_PATTERN).expect("pattern");
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            assert_eq!(
                re.is_match(&c.to_string()),
                !is_refused_control(c),
                "U+{:04X}",
                c as u32
            );
        }
    }
}
