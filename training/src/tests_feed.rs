//! Reshaping a feed: each change does what it says and keeps the money
//! consistent; with nothing asked it copies the log.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::feed::{reshape, FeedShape, Reshaped};

fn log() -> Vec<Value> {
    let c = "C-1";
    vec![
        json!({"command":"register_customer","customer_id":c,"credit_limit_minor":100_000,"currency":"INR","name":"A","opened_at":"2025-01-01T00:00:00Z","phone":"+919700000000"}),
        json!({"command":"record_transaction","customer_id":c,"transaction_id":"t1","kind":"purchase","amount_minor":1_000,"merchant_category_code":"5411","merchant_name":"Grocer","occurred_at":"2025-01-03T10:00:00Z"}),
        json!({"command":"record_transaction","customer_id":c,"transaction_id":"t2","kind":"purchase","amount_minor":2_000,"merchant_category_code":"4111","merchant_name":"Metro","occurred_at":"2025-01-05T10:00:00Z"}),
        json!({"command":"record_transaction","customer_id":c,"transaction_id":"t3","kind":"cash_withdrawal","amount_minor":500,"merchant_category_code":"6011","merchant_name":"ATM","occurred_at":"2025-01-06T10:00:00Z"}),
        json!({"command":"record_transaction","customer_id":c,"transaction_id":"t4","kind":"purchase","amount_minor":4_000,"merchant_category_code":"5732","merchant_name":"Shop","occurred_at":"2025-01-30T10:00:00Z"}),
        json!({"command":"record_transaction","customer_id":c,"transaction_id":"t5","kind":"purchase","amount_minor":8_000,"merchant_category_code":"5812","merchant_name":"Cafe","occurred_at":"2025-02-02T10:00:00Z"}),
        json!({"command":"record_payment","customer_id":c,"payment_id":"p1","amount_minor":3_000,"paid_at":"2025-02-10T10:00:00Z"}),
        json!({"command":"record_payment","customer_id":c,"payment_id":"p2","amount_minor":3_000,"paid_at":"2025-02-11T10:00:00Z"}),
        json!({"command":"return_payment","customer_id":c,"payment_id":"p1","returned_at":"2025-02-12T10:00:00Z"}),
        json!({"command":"report_days_past_due","customer_id":c,"days_past_due":3,"as_of":"2025-02-26T06:00:00Z"}),
        json!({"command":"report_days_past_due","customer_id":c,"days_past_due":5,"as_of":"2025-02-28T06:00:00Z"}),
        json!({"command":"report_days_past_due","customer_id":c,"days_past_due":6,"as_of":"2025-03-01T06:00:00Z"}),
        json!({"command":"report_days_past_due","customer_id":c,"days_past_due":0,"as_of":"2025-03-02T07:00:00Z"}),
        json!({"command":"change_credit_limit","customer_id":c,"credit_limit_minor":50_000,"effective_at":"2025-03-02T00:00:00Z"}),
    ]
}

fn run(name: &str, shape: FeedShape) -> (Vec<Value>, Reshaped) {
    run_on(&log(), name, shape)
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tmp/feed"));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir.join(format!("{name}.ndjson"))
}

fn run_on(lines: &[Value], name: &str, shape: FeedShape) -> (Vec<Value>, Reshaped) {
    let input = scratch(name);
    let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&input, text + "not json\n").expect("input written");
    let mut out = Vec::new();
    let done = reshape(&input, &shape, &mut out).expect("reshaped");
    let lines = String::from_utf8(out).expect("UTF-8 out");
    let values = lines
        .lines()
        .filter(|l| *l != "not json")
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(
        lines.contains("not json\n"),
        "a line that is not JSON is copied"
    );
    (values, done)
}

fn purchases(lines: &[Value]) -> Vec<(String, i64, String)> {
    lines
        .iter()
        .filter(|v| v["kind"] == "purchase")
        .map(|v| {
            (
                v["transaction_id"].as_str().expect("id").to_owned(),
                v["amount_minor"].as_i64().expect("amount"),
                v["merchant_category_code"]
                    .as_str()
                    .expect("code")
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn nothing_asked_copies_the_log() {
    let (lines, done) = run("copy", FeedShape::default());
    assert_eq!(lines, log());
    assert_eq!((done.read, done.written), (15, 15));
}

#[test]
fn dropping_returns_leaves_out_the_return_and_the_payment_it_returned() {
    let (lines, done) = run(
        "returns",
        FeedShape {
            drop_returns: true,
            ..FeedShape::default()
        },
    );
    let payments: Vec<&str> = lines
        .iter()
        .filter(|v| v["command"] == "record_payment" || v["command"] == "return_payment")
        .map(|v| v["payment_id"].as_str().expect("payment id"))
        .collect();
    assert_eq!(payments, ["p2"]);
    assert_eq!(done.returns_dropped, 2);
}

#[test]
fn monthly_reports_keep_each_months_last_one_cures_included() {
    let (lines, done) = run(
        "dpd",
        FeedShape {
            monthly_dpd: true,
            ..FeedShape::default()
        },
    );
    let reports: Vec<i64> = lines
        .iter()
        .filter(|v| v["command"] == "report_days_past_due")
        .map(|v| v["days_past_due"].as_i64().expect("days"))
        .collect();
    // February's last (5) and March's last, the cure (0).
    assert_eq!(reports, [5, 0]);
    assert_eq!(done.reports_dropped, 2);
}

#[test]
fn merged_purchases_keep_the_amounts_and_stay_in_their_month() {
    let (lines, done) = run(
        "merge",
        FeedShape {
            merge_purchases: true,
            ..FeedShape::default()
        },
    );
    // t1 + t2 in January; t4 (January) and t5 (February) stay apart.
    assert_eq!(
        purchases(&lines),
        [
            ("t2".to_owned(), 3_000, "4111".to_owned()),
            ("t4".to_owned(), 4_000, "5732".to_owned()),
            ("t5".to_owned(), 8_000, "5812".to_owned()),
        ]
    );
    assert_eq!(done.purchases_merged, 1);
    let total = |v: &[Value]| -> i64 {
        v.iter()
            .filter_map(|x| x.get("amount_minor").and_then(Value::as_i64))
            .sum()
    };
    assert_eq!(total(&lines), total(&log()), "no money appears or vanishes");
    assert!(
        lines.iter().any(|v| v["transaction_id"] == "t3"),
        "cash stays"
    );
}

#[test]
fn coarse_codes_use_three_categories_the_same_for_a_merchant() {
    let (lines, _) = run(
        "mcc",
        FeedShape {
            coarse_mcc: true,
            ..FeedShape::default()
        },
    );
    let codes: Vec<String> = purchases(&lines).into_iter().map(|p| p.2).collect();
    assert_eq!(codes.len(), 4);
    assert!(codes
        .iter()
        .all(|c| ["5411", "5812", "5999"].contains(&c.as_str())));
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert!(
        distinct.len() > 1,
        "merchants spread over the codes: {codes:?}"
    );
    let (again, _) = run(
        "mcc-again",
        FeedShape {
            coarse_mcc: true,
            ..FeedShape::default()
        },
    );
    assert_eq!(lines, again);
    let cash = lines
        .iter()
        .find(|v| v["transaction_id"] == "t3")
        .expect("t3");
    assert_eq!(
        cash["merchant_category_code"], "6011",
        "cash is not a purchase"
    );
}

#[test]
fn scaled_limits_change_every_limit_and_nothing_else() {
    let (lines, _) = run(
        "limits",
        FeedShape {
            limit_factor: Some(0.9),
            ..FeedShape::default()
        },
    );
    let limits: Vec<i64> = lines
        .iter()
        .filter_map(|v| v.get("credit_limit_minor").and_then(Value::as_i64))
        .collect();
    assert_eq!(limits, [90_000, 45_000]);
    assert_eq!(purchases(&lines), purchases(&log()));
}

fn buy(id: &str, at: &str, amount: i64) -> Value {
    json!({"command":"record_transaction","customer_id":"C-2","transaction_id":id,"kind":"purchase","amount_minor":amount,"merchant_category_code":"5411","merchant_name":"Grocer","occurred_at":at})
}

#[test]
fn a_held_purchase_never_passes_another_fact_or_a_month_and_reversals_follow_it() {
    let lines = [
        json!({"command":"register_customer","customer_id":"C-2","credit_limit_minor":100_000,"currency":"INR","name":"B","opened_at":"2025-01-01T00:00:00Z","phone":"+919700000001"}),
        buy("a", "2025-01-03T10:00:00Z", 100),
        json!({"command":"record_payment","customer_id":"C-2","payment_id":"p","amount_minor":50,"paid_at":"2025-01-04T10:00:00Z"}),
        buy("b", "2025-01-05T10:00:00Z", 200),
        buy("c", "2025-01-06T10:00:00Z", 300),
        json!({"command":"reverse_transaction","customer_id":"C-2","reversal_id":"r","transaction_id":"b","amount_minor":200,"reason":"merchant_refund","reversed_at":"2025-01-07T10:00:00Z"}),
        buy("d", "2025-01-31T10:00:00Z", 400),
        buy("e", "2025-02-01T10:00:00Z", 500),
        buy("f", "2025-02-02T10:00:00Z", 600),
        buy("g", "2025-02-03T10:00:00Z", -5),
    ];
    let (out, done) = run_on(
        &lines,
        "held",
        FeedShape {
            merge_purchases: true,
            ..FeedShape::default()
        },
    );
    let order: Vec<String> = out
        .iter()
        .map(|v| match v["command"].as_str() {
            Some("record_transaction") => format!(
                "{}={}",
                v["transaction_id"].as_str().expect("id"),
                v["amount_minor"]
            ),
            Some(c) => c.to_owned(),
            None => "?".to_owned(),
        })
        .collect();
    // a stays before the payment; b joins c and the reversal of b names c;
    // d (January) is not joined with e (February); e joins f; g's amount is
    // not a positive one, so it is copied as it was.
    assert_eq!(
        order,
        [
            "register_customer",
            "a=100",
            "record_payment",
            "c=500",
            "reverse_transaction",
            "d=400",
            "f=1100",
            "g=-5",
        ]
    );
    let reversal = out
        .iter()
        .find(|v| v["command"] == "reverse_transaction")
        .expect("reversal");
    assert_eq!(reversal["transaction_id"], "c");
    assert_eq!(done.purchases_merged, 2);
}

#[test]
fn a_limit_out_of_range_is_refused_not_written() {
    let input = scratch("huge");
    let text: String = log().iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&input, text).expect("input written");
    let shape = FeedShape {
        limit_factor: Some(1e300),
        ..FeedShape::default()
    };
    let err = reshape(&input, &shape, Vec::new()).expect_err("out of range");
    assert!(err.to_string().contains("line 1"), "{err}");
}
