//! Builders shared by the event-store tests.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use domain::customer::*;
use domain::values::*;
use domain::Customer;
use store::{CommandBus, Metadata, PgEventStore};

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("timestamp")
        .with_timezone(&Utc)
}

pub fn meta() -> Metadata {
    Metadata::system("test", uuid::Uuid::new_v4().to_string())
}

pub fn bus(pool: &sqlx::PgPool) -> CommandBus<Customer> {
    CommandBus::new(PgEventStore::new(pool.clone()))
}

pub fn addressed(id: &str, command: CustomerCommand) -> Addressed {
    Addressed {
        customer_id: CustomerId::parse(id).expect("id"),
        command,
    }
}

pub fn register() -> CustomerCommand {
    CustomerCommand::RegisterCustomer(RegisterCustomer {
        name: CustomerName::parse("Asha Rao").expect("name"),
        phone: PhoneNumber::parse("+919800000001").expect("phone"),
        credit_limit_minor: NonNegativeAmount::parse(10_000_000).expect("limit"),
        currency: Currency::parse("INR").expect("currency"),
        opened_at: at("2026-01-01T00:00:00Z"),
    })
}

pub fn purchase(txn: &str, amount: i64, minutes: i64) -> CustomerCommand {
    CustomerCommand::RecordTransaction(RecordTransaction {
        transaction_id: ExternalId::parse(txn).expect("txn id"),
        amount_minor: PositiveAmount::parse(amount).expect("amount"),
        currency: Currency::parse("INR").expect("currency"),
        kind: TransactionKind::Purchase,
        merchant_category_code: Some(MerchantCategoryCode::parse("5411").expect("mcc")),
        merchant_name: None,
        channel: Channel::Pos,
        occurred_at: at("2026-01-02T00:00:00Z") + Duration::minutes(minutes),
    })
}

/// Reads the whole log in batches of `batch` (through `tail` when given, else
/// straight from the database) until `done` is set and every stored event
/// has been seen; returns the positions in reading order. xmin is
/// cluster-wide: a transaction in another test's database can hold the
/// reader back for a while, so "caught up" means "read as many as are
/// stored", not "one empty read".
pub async fn follow(
    pool: sqlx::PgPool,
    tail: Option<std::sync::Arc<store::events::tail::LogTail>>,
    batch: i64,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<i64> {
    use store::events::log::{read_all, Checkpoint};
    let mut seen = Vec::new();
    let mut at = Checkpoint::START;
    let mut idle_after_done = 0u32;
    loop {
        let finished = done.load(std::sync::atomic::Ordering::SeqCst);
        let events = match &tail {
            Some(tail) => tail.read(&pool, at, batch).await,
            None => read_all(&pool, at, batch).await,
        }
        .expect("read");
        if let Some(last) = events.last() {
            at = last.checkpoint;
        }
        let empty = events.is_empty();
        seen.extend(events.into_iter().map(|e| e.checkpoint.position));
        if finished && empty {
            let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(&pool)
                .await
                .expect("count");
            idle_after_done += 1;
            if seen.len() as i64 >= stored || idle_after_done > 50_000 {
                return seen;
            }
        }
        tokio::task::yield_now().await;
    }
}

/// Appends a bare probe event (not a customer's) straight into the log, on
/// `conn` and in whatever transaction it has open.
pub async fn try_insert_raw(
    conn: &mut sqlx::PgConnection,
    id: &str,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, hash) \
         VALUES ('probe', $1, $2, 'Probe', '1', '{}', '\\x00')",
    )
    .bind(id)
    .bind(seq)
    .execute(conn)
    .await
    .map(|_| ())
}

/// [`try_insert_raw`], which must succeed.
pub async fn insert_raw(conn: &mut sqlx::PgConnection, id: &str, seq: i64) {
    try_insert_raw(conn, id, seq).await.expect("insert");
}

/// `n` purchases (`T0`, `T1`, …) sent to customer `C1` at once, a task each.
pub fn concurrent_purchases(
    bus: &CommandBus<Customer>,
    n: i64,
) -> Vec<
    tokio::task::JoinHandle<
        Result<store::Outcome, store::CommandError<domain::customer::CustomerError>>,
    >,
> {
    (0..n)
        .map(|i| {
            let bus = bus.clone();
            tokio::spawn(async move {
                bus.execute(
                    "C1",
                    addressed("C1", purchase(&format!("T{i}"), 1_000, i)),
                    &meta(),
                )
                .await
            })
        })
        .collect()
}

/// The late commit: `slow` opens a transaction and appends `slow` (the
/// earlier position), then `fast` appends `fast` and commits at once. The
/// caller commits `slow` when it has seen that no reader moves past it.
pub async fn begin_late_commit(slow: &mut sqlx::PgConnection, fast: &mut sqlx::PgConnection) {
    sqlx::query("BEGIN")
        .execute(&mut *slow)
        .await
        .expect("begin");
    insert_raw(slow, "slow", 1).await;
    insert_raw(fast, "fast", 1).await;
}
