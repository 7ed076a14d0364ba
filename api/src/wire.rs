//! The flat JSON shape of commands on the wire, shared by the batch endpoint
//! and the NDJSON importer: one object with `customer_id`, for NDJSON also
//! `command`, and the command's own fields beside them.
//!
//! ```json
//! {"command":"record_transaction","customer_id":"C-1","transaction_id":"T-9",
//!  "amount_minor":125000,"currency":"INR","kind":"purchase",
//!  "merchant_category_code":"5411","channel":"pos","occurred_at":"2026-03-01T10:00:00Z"}
//! ```

use domain::customer::*;
use domain::values::CustomerId;
use serde_json::{Map, Value};

use crate::http::json::from_value;
use crate::problem::Problem;

/// Command names as they appear in NDJSON (`command` field).
pub const COMMAND_NAMES: [&str; 9] = [
    "register_customer",
    "change_credit_limit",
    "record_transaction",
    "issue_statement",
    "record_payment",
    "report_days_past_due",
    "reverse_transaction",
    "return_payment",
    "correct_statement",
];

/// The corrections among [`COMMAND_NAMES`] (what `POST /v1/corrections:batch`
/// takes).
pub const CORRECTION_NAMES: [&str; 3] =
    ["reverse_transaction", "return_payment", "correct_statement"];

/// Takes `customer_id` out of a flat object and validates it.
pub fn take_customer_id(obj: &mut Map<String, Value>) -> Result<CustomerId, Problem> {
    match obj.remove("customer_id") {
        Some(Value::String(s)) => {
            CustomerId::parse(&s).map_err(|m| Problem::field("customer_id", m))
        }
        Some(_) => Err(Problem::field("customer_id", "must be a string")),
        None => Err(Problem::field("customer_id", "is required")),
    }
}

/// The object inside a value, or a problem naming the whole item.
pub fn object(value: Value) -> Result<Map<String, Value>, Problem> {
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(Problem::field(".", "must be a JSON object")),
    }
}

/// Parses a full NDJSON command line: `command`, `customer_id` and fields.
pub fn parse_command(value: Value) -> Result<Addressed, Problem> {
    let mut obj = object(value)?;
    let name = match obj.remove("command") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(Problem::field("command", "must be a string")),
        None => {
            return Err(Problem::field(
                "command",
                format!("is required (one of {})", COMMAND_NAMES.join(", ")),
            ))
        }
    };
    let customer_id = take_customer_id(&mut obj)?;
    let rest = Value::Object(obj);
    let command = match name.as_str() {
        "register_customer" => CustomerCommand::RegisterCustomer(from_value(rest)?),
        "change_credit_limit" => CustomerCommand::ChangeCreditLimit(from_value(rest)?),
        "record_transaction" => CustomerCommand::RecordTransaction(from_value(rest)?),
        "issue_statement" => CustomerCommand::IssueStatement(from_value(rest)?),
        "record_payment" => CustomerCommand::RecordPayment(from_value(rest)?),
        "report_days_past_due" => CustomerCommand::ReportDaysPastDue(from_value(rest)?),
        "reverse_transaction" => CustomerCommand::ReverseTransaction(from_value(rest)?),
        "return_payment" => CustomerCommand::ReturnPayment(from_value(rest)?),
        "correct_statement" => CustomerCommand::CorrectStatement(from_value(rest)?),
        other => {
            return Err(Problem::field(
                "command",
                format!(
                    "unknown command {other:?} (one of {})",
                    COMMAND_NAMES.join(", ")
                ),
            ))
        }
    };
    Ok(Addressed {
        customer_id,
        command,
    })
}

/// Parses one corrections batch item: `command` (one of
/// [`CORRECTION_NAMES`]), `customer_id` and the correction's fields.
pub fn parse_correction_item(value: Value) -> Result<Addressed, Problem> {
    let name = value
        .get("command")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match name {
        Some(n) if CORRECTION_NAMES.contains(&n.as_str()) => parse_command(value),
        Some(n) => Err(Problem::field(
            "command",
            format!(
                "{n:?} is not a correction (one of {})",
                CORRECTION_NAMES.join(", ")
            ),
        )),
        None => Err(Problem::field(
            "command",
            format!(
                "is required, a string (one of {})",
                CORRECTION_NAMES.join(", ")
            ),
        )),
    }
}

/// Parses one batch item: `customer_id` and a transaction's fields.
pub fn parse_transaction_item(value: Value) -> Result<Addressed, Problem> {
    let mut obj = object(value)?;
    let customer_id = take_customer_id(&mut obj)?;
    let command = CustomerCommand::RecordTransaction(from_value(Value::Object(obj))?);
    Ok(Addressed {
        customer_id,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flat_line_becomes_an_addressed_command() {
        let line = json!({"command":"record_payment","customer_id":"C-1","payment_id":"P1",
            "amount_minor":500,"currency":"INR","paid_at":"2026-03-01T00:00:00Z"});
        let a = parse_command(line).expect("valid");
        assert_eq!(a.customer_id.as_str(), "C-1");
        assert!(matches!(a.command, CustomerCommand::RecordPayment(_)));
    }

    #[test]
    fn errors_name_the_field() {
        let line = json!({"command":"record_payment","customer_id":"C-1","payment_id":"P1",
            "amount_minor":-5,"currency":"INR","paid_at":"2026-03-01T00:00:00Z"});
        let p = parse_command(line).expect_err("negative");
        assert_eq!(p.errors[0].field, "amount_minor");
        let line = json!({"command":"record_payment","customer_id":"C-1","payment_id":"P1",
            "amount_minor":5,"currency":"INR","paid_at":"2026-03-01T00:00:00Z","extra":1});
        let p = parse_command(line).expect_err("unknown field");
        assert_eq!(p.errors[0].field, "extra");
        let p = parse_command(json!({"command":"record_payment","customer_id":"C 1"}))
            .expect_err("bad id");
        assert_eq!(p.errors[0].field, "customer_id");
        let p = parse_command(json!({"command":"record_payment","customer_id":"C1"}))
            .expect_err("missing");
        assert_eq!(p.errors[0].field, "payment_id");
    }

    #[test]
    fn every_invalid_field_is_named_not_only_the_first() {
        let line = json!({"command":"record_transaction","customer_id":"C-1","transaction_id":"T1",
            "amount_minor":-1,"currency":"usd","kind":"purchase","merchant_category_code":"5411",
            "channel":"fax","occurred_at":"2026-03-01T00:00:00Z","extra":true});
        let p = parse_command(line).expect_err("invalid");
        let mut fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["amount_minor", "channel", "currency", "extra"],
            "{p:?}"
        );
        // A field missing on its own is named as missing.
        let line = json!({"command":"record_payment","customer_id":"C-1","payment_id":"P1",
            "amount_minor":5,"currency":"INR"});
        let p = parse_command(line).expect_err("invalid");
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["paid_at"], "{p:?}");
    }
}
