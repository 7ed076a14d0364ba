//! The NDJSON importer: good lines stored, bad lines reported by number, and a
//! re-run stores nothing twice.

mod common;

use std::io::Write;

use store::testing::fresh_database;
use store::{CommandBus, PgEventStore};

#[tokio::test]
async fn import_reports_bad_lines_keeps_good_ones_and_is_idempotent() {
    let db = fresh_database().await;
    let bus = CommandBus::new(PgEventStore::new(db.pool.clone()));
    let mut file = tempfile();
    let lines = [
        r#"{"command":"register_customer","customer_id":"C1","name":"Asha","phone":"+919800000001","credit_limit_minor":1000000,"currency":"INR","opened_at":"2026-01-01T00:00:00Z"}"#,
        r#"{"command":"record_transaction","customer_id":"C1","transaction_id":"T1","amount_minor":500,"currency":"INR","kind":"purchase","merchant_category_code":"5411","channel":"pos","occurred_at":"2026-01-02T00:00:00Z"}"#,
        r#"{"command":"record_transaction","customer_id":"C1","transaction_id":"T2","amount_minor":-5,"currency":"INR","kind":"purchase","merchant_category_code":"5411","channel":"pos","occurred_at":"2026-01-02T00:00:00Z"}"#,
        "",
        r#"{"command":"record_payment","customer_id":"C2","payment_id":"P1","amount_minor":5,"currency":"INR","paid_at":"2026-01-02T00:00:00Z"}"#,
        r#"{not json"#,
        r#"{"command":"record_payment","customer_id":"C1","payment_id":"P1","amount_minor":500,"currency":"INR","paid_at":"2026-01-03T00:00:00Z"}"#,
        r#"{"command":"record_transaction","customer_id":"C1","transaction_id":"T3","amount_minor":500,"currency":"INR","kind":"purchase","merchant_category_code":"5411","channel":"pos","occurred_at":"2030-01-01T09:00:00Z"}"#,
    ];
    writeln!(file.1, "{}", lines.join("\n")).expect("write");
    let report = api::import::import_file(&bus, &file.0, 2, false, chrono::Duration::minutes(5))
        .await
        .expect("import");
    assert_eq!((report.lines, report.recorded, report.rejected), (7, 3, 4));
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("line 8: occurred_at: is in the future")),
        "a fact from the future is refused: {:?}",
        report.errors
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("line 3: amount_minor")),
        "{:?}",
        report.errors
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.starts_with("line 5: customer is not registered")),
        "{:?}",
        report.errors
    );
    assert!(
        report.errors.iter().any(|e| e.starts_with("line 6:")),
        "{:?}",
        report.errors
    );
    let again = api::import::import_file(&bus, &file.0, 1_000, false, chrono::Duration::minutes(5))
        .await
        .expect("re-import");
    assert_eq!(
        (
            again.recorded,
            again.repeated,
            again.unchanged,
            again.rejected
        ),
        (0, 2, 1, 4)
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(stored, 3);
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("import-{}.ndjson", uuid::Uuid::new_v4()));
    let file = std::fs::File::create(&path).expect("create");
    (path, file)
}

#[tokio::test]
async fn uci_clients_are_imported_as_events_once() {
    let db = fresh_database().await;
    let bus = CommandBus::new(PgEventStore::new(db.pool.clone()));
    let (path, mut file) = tempfile();
    writeln!(
        file,
        "ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,BILL_AMT1,BILL_AMT2,BILL_AMT3,BILL_AMT4,BILL_AMT5,BILL_AMT6,PAY_AMT1,PAY_AMT2,PAY_AMT3,PAY_AMT4,PAY_AMT5,PAY_AMT6,default.payment.next.month\n\
         1,20000,2,2,1,24,2,2,-1,-1,-2,-2,3913,3102,689,0,0,0,0,689,0,0,0,0,1\n\
         2,120000,2,2,2,26,-1,2,0,0,0,2,2682,1725,2682,3272,3455,3261,0,1000,1000,1000,0,2000,0"
    )
    .expect("write");
    let report = api::import_uci::import_uci(&bus, &path, 7, false)
        .await
        .expect("import");
    assert_eq!((report.recorded, report.rejected), (report.lines, 0));
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, count(*) FROM events GROUP BY aggregate_id ORDER BY aggregate_id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("counts");
    // The trainer's own test checks these streams event by event.
    assert_eq!(
        stored,
        vec![("uci-1".to_owned(), 17), ("uci-2".to_owned(), 23)]
    );
    // The default flag is an outcome and the demographics are not ours:
    // neither appears anywhere in what was stored.
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload::text ~* '(default|sex|education|marriage|\"age\")'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("scan");
    assert_eq!(leaked, 0);
    let again = api::import_uci::import_uci(&bus, &path, 1_000, false)
        .await
        .expect("re-import");
    assert_eq!((again.recorded, again.rejected), (0, 0));
}

/// A live server's writers next to the import: another bus (another
/// process's cache) keeps appending to the same customers while the import
/// runs with one attempt per chunk, so chunks conflict. Nothing is lost,
/// nothing stored twice, and the run never aborts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_next_to_other_writers_retries_per_line_and_loses_nothing() {
    let db = fresh_database().await;
    let bus = CommandBus::new(PgEventStore::new(db.pool.clone())).with_attempts(1);
    let mut file = tempfile();
    const CUSTOMERS: usize = 10;
    const PER_CUSTOMER: usize = 60;
    let mut lines = Vec::new();
    for c in 0..CUSTOMERS {
        lines.push(format!(r#"{{"command":"register_customer","customer_id":"C{c}","name":"Asha","phone":"+9198000000{c:02}","credit_limit_minor":100000000,"currency":"INR","opened_at":"2026-01-01T00:00:00Z"}}"#));
    }
    for t in 0..PER_CUSTOMER {
        for c in 0..CUSTOMERS {
            lines.push(format!(r#"{{"command":"record_transaction","customer_id":"C{c}","transaction_id":"I-{c}-{t}","amount_minor":500,"currency":"INR","kind":"purchase","merchant_category_code":"5411","channel":"pos","occurred_at":"2026-01-02T00:00:00Z"}}"#));
        }
    }
    writeln!(file.1, "{}", lines.join("\n")).expect("write");
    // Register first, so the other writer has customers to race for.
    let registered = file.0.with_extension("reg.ndjson");
    std::fs::write(&registered, lines[..CUSTOMERS].join("\n")).expect("write");
    api::import::import_file(&bus, &registered, 100, false, chrono::Duration::minutes(5))
        .await
        .expect("register");

    let other: CommandBus<domain::Customer> = CommandBus::new(PgEventStore::new(db.pool.clone()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (other, stop) = (other.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 5_000 {
                let c = n % CUSTOMERS;
                let line = serde_json::json!({"command": "record_transaction", "customer_id": format!("C{c}"),
                    "transaction_id": format!("W-{n}"), "amount_minor": 100, "currency": "INR",
                    "kind": "purchase", "merchant_category_code": "5411", "channel": "pos",
                    "occurred_at": "2026-01-03T00:00:00Z"});
                let a = api::wire::parse_command(line).expect("valid");
                let meta = store::Metadata::system("writer", format!("w-{n}"));
                other
                    .execute(&format!("C{c}"), a, &meta)
                    .await
                    .expect("writer");
                n += 1;
            }
            n
        })
    };
    let report = api::import::import_file(&bus, &file.0, 100, false, chrono::Duration::minutes(5))
        .await
        .expect("the import is never aborted by other writers");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert_eq!(report.rejected, 0, "{:?}", report.errors);
    assert_eq!(report.recorded, CUSTOMERS * PER_CUSTOMER);
    assert!(
        report.retried_alone > 0,
        "the chunks did conflict: {report:?}"
    );
    let imported: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT dedup_key) FROM events WHERE event_type = 'TransactionRecorded' \
         AND payload -> 'TransactionRecorded' ->> 'transaction_id' LIKE 'I-%'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'TransactionRecorded'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(
        imported as usize,
        CUSTOMERS * PER_CUSTOMER,
        "each line once"
    );
    assert_eq!(
        rows as usize,
        CUSTOMERS * PER_CUSTOMER + written,
        "nothing twice, nothing lost"
    );
    let _ = std::fs::remove_file(&registered);
}

#[tokio::test]
async fn corrections_import_beside_what_they_correct_and_a_rerun_stores_nothing_twice() {
    let db = fresh_database().await;
    let bus = CommandBus::new(PgEventStore::new(db.pool.clone()));
    let mut file = tempfile();
    let lines = [
        r#"{"command":"register_customer","customer_id":"C1","name":"Asha","phone":"+919800000001","credit_limit_minor":1000000,"currency":"INR","opened_at":"2026-01-01T00:00:00Z"}"#,
        r#"{"command":"record_transaction","customer_id":"C1","transaction_id":"T1","amount_minor":500,"currency":"INR","kind":"purchase","merchant_category_code":"5411","channel":"pos","occurred_at":"2026-01-02T00:00:00Z"}"#,
        r#"{"command":"reverse_transaction","customer_id":"C1","reversal_id":"R1","transaction_id":"T1","amount_minor":200,"reason":"merchant_reversal","reversed_at":"2026-01-03T00:00:00Z"}"#,
        r#"{"command":"reverse_transaction","customer_id":"C1","reversal_id":"R2","transaction_id":"T1","amount_minor":301,"reason":"chargeback","reversed_at":"2026-01-04T00:00:00Z"}"#,
        r#"{"command":"record_payment","customer_id":"C1","payment_id":"P1","amount_minor":300,"currency":"INR","paid_at":"2026-01-05T00:00:00Z"}"#,
        r#"{"command":"return_payment","customer_id":"C1","payment_id":"P1","reason":"insufficient_funds","returned_at":"2026-01-07T00:00:00Z"}"#,
        r#"{"command":"return_payment","customer_id":"C1","payment_id":"P9","reason":"other","returned_at":"2026-01-07T00:00:00Z"}"#,
        r#"{"command":"issue_statement","customer_id":"C1","period":"2026-01","closing_balance_minor":600,"minimum_due_minor":30,"due_date":"2026-02-20","issued_at":"2026-02-01T02:00:00Z"}"#,
        r#"{"command":"correct_statement","customer_id":"C1","correction_id":"SC1","period":"2026-01","closing_balance_minor":600,"minimum_due_minor":25,"due_date":"2026-02-21","corrected_at":"2026-02-02T00:00:00Z"}"#,
    ];
    writeln!(file.1, "{}", lines.join("\n")).expect("write");
    // Batches of two: a correction may share a batch with what it corrects
    // or come in the next.
    for batch in [2, 3] {
        let report =
            api::import::import_file(&bus, &file.0, batch, false, chrono::Duration::minutes(5))
                .await
                .expect("import");
        let first_run = batch == 2;
        assert_eq!(
            (report.lines, report.rejected),
            (9, 2),
            "batch {batch}: {:?}",
            report.errors
        );
        assert_eq!(
            report.recorded,
            if first_run { 7 } else { 0 },
            "{:?}",
            report.errors
        );
        let mut errors = report.errors.clone();
        errors.sort();
        assert!(errors[0].starts_with("line 4: amount_minor"), "{errors:?}");
        assert!(errors[1].starts_with("line 7: payment_id"), "{errors:?}");
    }
    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_id = 'C1' ORDER BY sequence",
    )
    .fetch_all(&db.pool)
    .await
    .expect("types");
    assert_eq!(
        types,
        [
            "CustomerRegistered",
            "TransactionRecorded",
            "TransactionReversed",
            "PaymentRecorded",
            "PaymentReturned",
            "StatementIssued",
            "StatementCorrected"
        ]
    );
}
