//! How far the log may be read: the reading horizon.
//!
//! A reader may only read events of transactions older than every
//! transaction still running that could yet append an event (see
//! [`super::log`]). Taken literally — the oldest running transaction,
//! `pg_snapshot_xmin` — that includes the read side's own writing
//! transactions: each projection step, while it writes its tables, would
//! hold back every reader, so a transaction's event could not be scored
//! until the slowest view step that happened to be open had committed
//! (how often and how long under load: `docs/scaling.md`, "Tuning
//! constants").
//!
//! So a transaction that will never append an event declares itself a
//! *log reader* ([`declare_log_reader`]) before its first write: it takes a
//! shared advisory lock keyed by its own transaction id, which readers see
//! in `pg_locks`, and it marks itself so that the database refuses any
//! event it tries to append (trigger `events_not_from_log_readers`). The
//! horizon is then the oldest running transaction that has *not* declared
//! itself, or, if there is none, the snapshot's `xmax`.
//!
//! Transaction ids are the cluster's, not the database's: a transaction
//! running in another database of the same cluster (a shared server, the
//! test suite's databases) is in every snapshot. It cannot append to our
//! `events` table, so the horizon skips a transaction whose backend is
//! known, from `pg_locks` and `pg_stat_activity`, to be connected to
//! another database.
//!
//! Why that is safe: a declared transaction cannot append events, nor can
//! one in another database, so no event can ever appear below the horizon
//! once a reader has passed it. A transaction seen running before its
//! declaration is visible counts as a possible writer, and so does one whose
//! database cannot be told (its lock or its backend not seen, or hidden
//! from our role): the horizon only ever errs towards waiting.

use std::sync::LazyLock;

use sqlx::PgConnection;

/// The first key of the advisory locks log readers declare themselves with
/// (`"LOGR"`); the second is the low 31 bits of the transaction id. Every
/// other advisory lock of ours has a single 64-bit key, which `pg_locks`
/// tells apart (`objsubid` 1 against 2 here), so they cannot be mistaken
/// for a declaration. Two running transaction ids are always less than
/// 2^31 apart, so their low 31 bits differ. Only this database's locks
/// count: a declaration is a promise about our `events` table.
pub const LOG_READER_LOCKS: i32 = 0x4c4f_4752;

/// SQL for the horizon, as a scalar subquery: events with a `tx_id` below
/// it are all the log will ever hold there.
pub(crate) fn horizon_sql() -> String {
    format!(
        "(SELECT coalesce(\
            (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x \
              WHERE (x::text::bigint % 2147483648)::oid NOT IN \
                (SELECT objid FROM pg_locks WHERE locktype = 'advisory' \
                   AND classid = {LOG_READER_LOCKS} AND objsubid = 2 AND granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) \
                AND (x::text::bigint % 4294967296)::text NOT IN \
                (SELECT l.transactionid::text FROM pg_locks l \
                   JOIN pg_stat_activity a ON a.pid = l.pid \
                   WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted \
                     AND l.transactionid IS NOT NULL AND a.datid IS NOT NULL \
                     AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))), \
            pg_snapshot_xmax(s.snap)) \
          FROM (SELECT pg_current_snapshot() AS snap) AS s)"
    )
}

/// The statement that declares the open transaction a log reader (see
/// [`declare_log_reader`]), for callers that send it along with others in
/// one round trip. It assigns the transaction its id.
pub fn declare_statement() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT set_config('early_risk.log_reader', 'on', true), \
             pg_advisory_xact_lock_shared({LOG_READER_LOCKS}, \
               (pg_current_xact_id()::text::bigint % 2147483648)::int4)"
        )
    });
    SQL.as_str()
}

/// Declares the open transaction on `conn` a log reader: from now until it
/// ends it holds no reader back, and the database refuses any event it
/// tries to append. Call before its first write.
pub async fn declare_log_reader(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(declare_statement()).execute(conn).await?;
    Ok(())
}
