//! One page of a day-end run: the active customers after a cursor, each with
//! the stored state, the last behaviour event folded into it and the last
//! decision, in one query (see the module docs of `day_end` for who is
//! active).

use chrono::{DateTime, Utc};
use domain::customer::LogCheckpoint;
use domain::risk::Band;
use domain::BEHAVIOUR_EVENT_TYPES;
use sqlx::{PgPool, Row};

use super::{poison, DORMANT_AFTER_DAYS};
use crate::views::risk_state::band_of;
use crate::ProjectionError;

/// One customer as a page reads it: the stored state, the last behaviour
/// event folded into it, and the last decision (asked for or recorded).
pub(super) struct Stored {
    pub(super) id: String,
    pub(super) state_bin: Option<Vec<u8>>,
    pub(super) state_json: Option<String>,
    pub(super) trigger_sequence: i64,
    pub(super) checkpoint: LogCheckpoint,
    pub(super) recorded_band: Band,
    pub(super) recorded_rules: Vec<String>,
    pub(super) requested: Option<(Band, Vec<String>)>,
}

/// The page of active customers after `cursor` (see the module docs).
pub(super) async fn page_after(
    pool: PgPool,
    cursor: String,
    end: DateTime<Utc>,
    page: i64,
) -> Result<Vec<Stored>, ProjectionError> {
    let dormant = end - chrono::Duration::days(DORMANT_AFTER_DAYS);
    let rows = sqlx::query(
        "SELECT f.customer_id, f.state_bin, f.state::text AS state, t.sequence, t.global_position, \
                t.tx::text AS tx, r.recorded_band, r.recorded_rules, r.requested_band, r.requested_rules \
         FROM customer_features f \
         CROSS JOIN LATERAL ( \
             SELECT e.sequence, e.global_position, e.tx_id AS tx FROM events e \
             WHERE e.aggregate_type = 'customer' AND e.aggregate_id = f.customer_id \
               AND e.sequence <= f.last_sequence AND e.event_type = ANY($4) \
             ORDER BY e.sequence DESC LIMIT 1) t \
         LEFT JOIN LATERAL (SELECT recorded_band, recorded_rules, requested_band, requested_rules \
             FROM customer_risk WHERE customer_id = f.customer_id LIMIT 1) r ON true \
         WHERE f.customer_id > $1 AND f.as_of > $2 AND f.as_of <= $3 \
         ORDER BY f.customer_id LIMIT $5",
    )
    .bind(&cursor)
    .bind(dormant)
    .bind(end)
    .bind(BEHAVIOUR_EVENT_TYPES.as_slice())
    .bind(page)
    .fetch_all(&pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let tx: String = r.try_get("tx")?;
            let tx_id = tx
                .parse()
                .map_err(|e| poison(format!("transaction id {tx} is unreadable: {e}")))?;
            let recorded: Option<String> = r.try_get("recorded_band")?;
            let requested: Option<String> = r.try_get("requested_band")?;
            let requested_rules: Option<Vec<String>> = r.try_get("requested_rules")?;
            Ok(Stored {
                id: r.try_get("customer_id")?,
                state_bin: r.try_get("state_bin")?,
                state_json: r.try_get("state")?,
                trigger_sequence: r.try_get("sequence")?,
                checkpoint: LogCheckpoint {
                    tx_id,
                    position: r.try_get("global_position")?,
                },
                recorded_band: recorded.as_deref().map_or(Band::Low, band_of),
                recorded_rules: r
                    .try_get::<Option<Vec<String>>, _>("recorded_rules")?
                    .unwrap_or_default(),
                requested: requested.map(|b| (band_of(&b), requested_rules.unwrap_or_default())),
            })
        })
        .collect()
}
