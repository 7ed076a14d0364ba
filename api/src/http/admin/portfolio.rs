//! `GET /v1/admin/portfolio?from=YYYY-MM-DD&to=YYYY-MM-DD`: customers and
//! exposure per band now; the band mix at the end of each day of the range;
//! band migrations within it; and the alert funnel of alerts raised in it.
//!
//! The band mix is derived from recorded decisions (`risk_decisions`): the
//! mix the day before the range, then each day's decisions and openings as
//! deltas — two indexed scans, not one query per day.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;

use crate::http::freshness::{etag, not_modified, positions, with_etag, Projected};
use crate::http::params::{bad_param, Params};
use crate::http::problem::Problem;
use crate::http::snapshot;
use crate::http::AppState;

/// Longest range of the band mix.
pub const MAX_DAYS: i64 = 366;

const BANDS: [&str; 3] = ["Low", "Medium", "High"];

/// Customers and exposure in one band and currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BandExposure {
    /// Band (customers without a decision are Low).
    pub band: String,
    /// Currency of the amounts.
    pub currency: String,
    /// Customers.
    pub customers: i64,
    /// Sum of balances (minor units).
    pub balance_minor: i64,
    /// Sum of limits (minor units).
    pub credit_limit_minor: i64,
}

/// The mix at the end of one day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayMix {
    /// The day.
    pub date: NaiveDate,
    /// Customers per band.
    pub bands: BTreeMap<String, i64>,
}

/// How many customers moved from one band to another in the range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Migration {
    /// Band before.
    pub from: String,
    /// Band after.
    pub to: String,
    /// Customers who made this move at least once in the range (a customer
    /// who went Low → High twice counts once).
    pub customers: i64,
}

/// Risk alerts (escalations and staff's manual alerts) raised in the range,
/// by how far they got; other messages (welcome) are counted apart, and
/// one-time codes are never alerts.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    /// Raised (and not suppressed).
    pub raised: i64,
    /// Recorded but not sent: within a cooldown, about the past, or beyond
    /// the portfolio's alert budget.
    pub suppressed: i64,
    /// Of those, about a fact older than `ALERT_MAX_AGE` (imported history).
    pub suppressed_stale: i64,
    /// Of those, withheld by the alert budget (`ALERT_FALSE_ALARM_BUDGET`).
    pub suppressed_budget: i64,
    /// Other messages raised in the range (welcome), not risk alerts.
    pub other_messages: i64,
    /// Accepted by WhatsApp.
    pub sent: i64,
    /// Delivered (or read).
    pub delivered: i64,
    /// Read.
    pub read: i64,
    /// Failed (at send or on delivery).
    pub failed: i64,
}

/// The portfolio.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    /// Range of the mix, migrations and funnel.
    pub from: NaiveDate,
    /// Last day of the range (inclusive).
    pub to: NaiveDate,
    /// Now, per band and currency.
    pub bands: Vec<BandExposure>,
    /// End-of-day mix, one entry per day.
    pub band_mix: Vec<DayMix>,
    /// Changes of band in the range, in customers.
    pub migrations: Vec<Migration>,
    /// Risk-alert funnel of the range.
    pub alerts: Funnel,
    /// Freshness of the views read.
    pub projected: Vec<Projected>,
}

fn date(p: &Params, name: &str) -> Result<Option<NaiveDate>, Problem> {
    p.text(name)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad_param(name, "must be a date YYYY-MM-DD"))
        })
        .transpose()
}

/// The handler.
#[utoipa::path(
    get,
    path = "/v1/admin/portfolio",
    tag = "admin",
    summary = "Bands, exposure, band mix over time, migrations, alert funnel",
    params(
        ("from" = Option<String>, Query, description = "First day YYYY-MM-DD (default: 29 days before `to`)", format = Date),
        ("to" = Option<String>, Query, description = "Last day YYYY-MM-DD (default: today); at most 366 days", format = Date)
    ),
    responses(
        (status = 200, description = "The portfolio", body = Portfolio),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::Unavailable,
        (status = 304, description = "Not modified (If-None-Match)")
    ),
    security(("bearer" = []))
)]
pub async fn show_portfolio(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let p = Params::new(q, &["from", "to"])?;
    let to = date(&p, "to")?.unwrap_or_else(|| Utc::now().date_naive());
    let from = match date(&p, "from")? {
        Some(f) => f,
        None => to - Days::new(29),
    };
    if from > to {
        return Err(bad_param("from", "must not be after to"));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(bad_param(
            "from",
            format!("the range is at most {MAX_DAYS} days"),
        ));
    }
    // The checkpoints and the rows from one snapshot, so the ETag names
    // exactly the state the page shows.
    let mut db = snapshot::begin(&state.pool).await?;
    let projected = positions(
        &mut db,
        &[
            "customer_overview",
            "customer_features",
            "risk_decisions",
            "customer_alerts",
        ],
    )
    .await?;
    let tag = etag(&projected, &format!("{uri}|{from}|{to}"));
    if let Some(r) = not_modified(&headers, &tag) {
        return Ok(r);
    }
    let start = from
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_default();
    let end = (to + Days::new(1))
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_default();

    let bands: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        // The overview carries the recorded band itself: one scan, no join
        // (a join with customer_risk cost ~10x on 100,000 customers).
        "SELECT coalesce(band, 'Low') AS band, currency, count(*), \
                coalesce(sum(balance_minor), 0)::bigint, coalesce(sum(credit_limit_minor), 0)::bigint \
         FROM customer_overview GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&mut *db)
    .await?;

    // The mix just before the range …
    let before: Vec<(String, i64)> = sqlx::query_as(
        "WITH latest AS (SELECT DISTINCT ON (customer_id) customer_id, band FROM risk_decisions \
                         WHERE as_of < $1 ORDER BY customer_id, as_of DESC, position DESC) \
         SELECT coalesce(l.band, 'Low'), count(*) FROM customer_overview o \
         LEFT JOIN latest l USING (customer_id) WHERE o.opened_at < $1 GROUP BY 1",
    )
    .bind(start)
    .fetch_all(&mut *db)
    .await?;
    // … then each day's decisions and openings.
    let changes: Vec<(NaiveDate, String, String, i64)> = sqlx::query_as(
        "SELECT (as_of AT TIME ZONE 'UTC')::date, band_before, band, count(*) FROM risk_decisions \
         WHERE as_of >= $1 AND as_of < $2 GROUP BY 1, 2, 3",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db)
    .await?;
    let openings: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT (opened_at AT TIME ZONE 'UTC')::date, count(*) FROM customer_overview \
         WHERE opened_at >= $1 AND opened_at < $2 GROUP BY 1",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db)
    .await?;

    let mut mix: BTreeMap<String, i64> = BANDS.iter().map(|b| ((*b).to_owned(), 0)).collect();
    for (band, n) in before {
        *mix.entry(band).or_default() += n;
    }
    let mut by_day: BTreeMap<NaiveDate, Vec<(String, String, i64)>> = BTreeMap::new();
    for (day, b0, b1, n) in changes {
        by_day.entry(day).or_default().push((b0, b1, n));
    }
    let migrations: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT band_before, band, count(DISTINCT customer_id) FROM risk_decisions \
         WHERE as_of >= $1 AND as_of < $2 AND band_before <> band GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db)
    .await?;
    let opened: HashMap<NaiveDate, i64> = openings.into_iter().collect();
    let mut band_mix = Vec::new();
    let mut day = from;
    while day <= to {
        *mix.entry("Low".into()).or_default() += opened.get(&day).copied().unwrap_or(0);
        for (b0, b1, n) in by_day.get(&day).into_iter().flatten() {
            *mix.entry(b0.clone()).or_default() -= n;
            *mix.entry(b1.clone()).or_default() += n;
        }
        band_mix.push(DayMix {
            date: day,
            bands: mix.clone(),
        });
        day = day + Days::new(1);
    }

    let funnel: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE risk AND status <> 'suppressed'), \
                count(*) FILTER (WHERE risk AND status = 'suppressed'), \
                count(*) FILTER (WHERE risk AND suppressed_reason = 'stale'), \
                count(*) FILTER (WHERE risk AND suppressed_reason = 'budget'), \
                count(*) FILTER (WHERE NOT risk), \
                count(*) FILTER (WHERE risk AND status = 'sent'), \
                count(*) FILTER (WHERE risk AND delivery IN ('delivered', 'read')), \
                count(*) FILTER (WHERE risk AND delivery = 'read'), \
                count(*) FILTER (WHERE risk AND (status = 'failed' OR delivery = 'failed')) \
         FROM (SELECT *, kind IN ('escalation', 'manual') AS risk FROM customer_alerts \
               WHERE raised_at >= $1 AND raised_at < $2) a",
    )
    .bind(start)
    .bind(end)
    .fetch_one(&mut *db)
    .await?;

    let body = Portfolio {
        from,
        to,
        bands: bands
            .into_iter()
            .map(
                |(band, currency, customers, balance_minor, credit_limit_minor)| BandExposure {
                    band,
                    currency,
                    customers,
                    balance_minor,
                    credit_limit_minor,
                },
            )
            .collect(),
        band_mix,
        migrations: migrations
            .into_iter()
            .map(|(from, to, customers)| Migration {
                from,
                to,
                customers,
            })
            .collect(),
        alerts: Funnel {
            raised: funnel.0,
            suppressed: funnel.1,
            suppressed_stale: funnel.2,
            suppressed_budget: funnel.3,
            other_messages: funnel.4,
            sent: funnel.5,
            delivered: funnel.6,
            read: funnel.7,
            failed: funnel.8,
        },
        projected,
    };
    Ok(with_etag(Json(body).into_response(), &tag))
}
