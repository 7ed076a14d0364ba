//! `GET /v1/admin/customers`: the top risks — score, band and since when,
//! the top reasons and the last alert — filtered by band, fired rule and
//! utilisation range, ordered by score (or utilisation, or id), paged by a
//! keyset cursor so that pages neither repeat nor skip rows while new rows
//! arrive.

use std::collections::HashMap;

use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::http::cursor;
use crate::http::freshness::{etag, not_modified, positions, with_etag, Projected};
use crate::http::params::{bad_param, Params};
use crate::http::problem::Problem;
use crate::http::snapshot;
use crate::http::AppState;

/// Bands the list can be filtered by.
pub const BANDS: [&str; 3] = ["Low", "Medium", "High"];

/// Orders the list understands.
pub const SORTS: [&str; 5] = [
    "-score",
    "score",
    "-utilisation",
    "utilisation",
    "customer_id",
];

/// One row of the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RiskRow {
    /// Customer id.
    pub customer_id: String,
    /// Name.
    pub name: String,
    /// Latest ensemble score.
    pub score: f64,
    /// Band of the last recorded decision.
    pub band: String,
    /// Since when.
    pub band_since: Option<DateTime<Utc>>,
    /// Rules that fired in the latest score.
    pub fired_rules: Vec<String>,
    /// Utilisation (balance / limit).
    pub utilisation: f64,
    /// Balance in minor units.
    pub balance_minor: i64,
    /// Limit in minor units.
    pub credit_limit_minor: i64,
    /// Currency.
    pub currency: String,
    /// Top reasons of the last decision.
    #[schema(value_type = Vec<crate::http::admin::risk::Reason>)]
    pub reasons: serde_json::Value,
    /// The last alert, if any: alert_id, kind, status, delivery, raised_at.
    #[schema(value_type = Option<Object>)]
    pub last_alert: Option<serde_json::Value>,
}

/// A page of the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RiskPage {
    /// Rows.
    pub items: Vec<RiskRow>,
    /// Cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
    /// Freshness of the views read.
    pub projected: Vec<Projected>,
}

/// What a cursor holds: the ordering, and the last row's key.
#[derive(Debug, Serialize, Deserialize)]
struct Key {
    sort: String,
    value: Option<f64>,
    id: String,
}

/// The handler.
#[utoipa::path(
    get,
    path = "/v1/admin/customers",
    tag = "admin",
    summary = "Top risks, filtered, sorted and keyset-paged",
    params(
        ("band" = Option<String>, Query, description = "Low, Medium or High"),
        ("rule" = Option<String>, Query, description = "Only customers this rule fired for", min_length = 1, max_length = 64),
        ("min_utilisation" = Option<f64>, Query, description = "0-100", minimum = 0, maximum = 100),
        ("max_utilisation" = Option<f64>, Query, description = "0-100", minimum = 0, maximum = 100),
        ("sort" = Option<String>, Query, description = "-score (default), score, -utilisation, utilisation, customer_id"),
        ("limit" = Option<i64>, Query, description = "1-200, default 50", minimum = 1, maximum = 200),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses(
        (status = 200, description = "A page", body = RiskPage),
        crate::http::openapi::problems::BadRequest,
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::Unavailable,
        (status = 304, description = "Not modified (If-None-Match)")
    ),
    security(("bearer" = []))
)]
pub async fn list_customers(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let p = Params::new(
        q,
        &[
            "band",
            "rule",
            "min_utilisation",
            "max_utilisation",
            "sort",
            "limit",
            "cursor",
        ],
    )?;
    let band = p.choice("band", &BANDS)?;
    let rule = p.text("rule").map(str::to_owned);
    if rule.as_ref().is_some_and(|r| r.is_empty() || r.len() > 64) {
        return Err(bad_param("rule", "must be a rule id (1-64 characters)"));
    }
    let min_u = p.number_in("min_utilisation", 0.0, 100.0)?;
    let max_u = p.number_in("max_utilisation", 0.0, 100.0)?;
    if let (Some(lo), Some(hi)) = (min_u, max_u) {
        if lo > hi {
            return Err(bad_param(
                "min_utilisation",
                "must not exceed max_utilisation",
            ));
        }
    }
    let sort = p.choice("sort", &SORTS)?.unwrap_or_else(|| "-score".into());
    let limit = p.limit(50, 200)?;
    let after: Option<Key> = p.text("cursor").map(cursor::decode).transpose()?;
    if let Some(k) = &after {
        if k.sort != sort {
            return Err(bad_param("cursor", "was issued for another sort order"));
        }
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
    let tag = etag(&projected, &uri.to_string());
    if let Some(r) = not_modified(&headers, &tag) {
        return Ok(r);
    }

    let (column, descending) = match sort.as_str() {
        "-score" => (Some("r.score"), true),
        "score" => (Some("r.score"), false),
        "-utilisation" => (Some("o.utilisation"), true),
        "utilisation" => (Some("o.utilisation"), false),
        _ => (None, false),
    };
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT r.customer_id, o.name, r.score, r.recorded_band, r.recorded_since, r.fired_rules, \
                o.utilisation, o.balance_minor, o.credit_limit_minor, o.currency, \
                coalesce(d.reasons, '[]'::jsonb) AS reasons, a.alert \
         FROM customer_risk r JOIN customer_overview o USING (customer_id) \
         LEFT JOIN LATERAL (SELECT reasons FROM risk_decisions rd WHERE rd.customer_id = r.customer_id \
                            ORDER BY position DESC LIMIT 1) d ON true \
         LEFT JOIN LATERAL (SELECT jsonb_build_object('alert_id', alert_id, 'kind', kind, 'status', status, \
                                   'delivery', delivery, 'raised_at', raised_at) AS alert \
                            FROM customer_alerts ca WHERE ca.customer_id = r.customer_id \
                            ORDER BY raised_at DESC, alert_id DESC LIMIT 1) a ON true WHERE true",
    );
    if let Some(b) = &band {
        qb.push(" AND r.recorded_band = ").push_bind(b.clone());
    }
    if let Some(rule) = &rule {
        qb.push(" AND ")
            .push_bind(rule.clone())
            .push(" = ANY(r.fired_rules)");
    }
    if let Some(lo) = min_u {
        qb.push(" AND o.utilisation >= ").push_bind(lo);
    }
    if let Some(hi) = max_u {
        qb.push(" AND o.utilisation <= ").push_bind(hi);
    }
    // Keyset: rows strictly after the last one, in (value, id) order with
    // the id ascending as the tie-break.
    if let Some(k) = &after {
        match (column, k.value) {
            (Some(col), Some(v)) => {
                let cmp = if descending { "<" } else { ">" };
                qb.push(format!(" AND ({col} {cmp} "))
                    .push_bind(v)
                    .push(format!(" OR ({col} = "))
                    .push_bind(v)
                    .push(" AND r.customer_id > ")
                    .push_bind(k.id.clone())
                    .push("))");
            }
            (None, _) => {
                qb.push(" AND r.customer_id > ").push_bind(k.id.clone());
            }
            (Some(_), None) => return Err(bad_param("cursor", "is not a cursor this API issued")),
        }
    }
    match column {
        Some(col) => qb.push(format!(
            " ORDER BY {col} {}, r.customer_id ASC",
            if descending { "DESC" } else { "ASC" }
        )),
        None => qb.push(" ORDER BY r.customer_id ASC"),
    };
    qb.push(" LIMIT ").push_bind(limit + 1);
    let rows = qb.build().fetch_all(&mut *db).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(RiskRow {
            customer_id: r.try_get("customer_id")?,
            name: r.try_get("name")?,
            score: r.try_get("score")?,
            band: r.try_get("recorded_band")?,
            band_since: r.try_get("recorded_since")?,
            fired_rules: r.try_get("fired_rules")?,
            utilisation: r.try_get("utilisation")?,
            balance_minor: r.try_get("balance_minor")?,
            credit_limit_minor: r.try_get("credit_limit_minor")?,
            currency: r.try_get("currency")?,
            reasons: top(r.try_get("reasons")?, 3),
            last_alert: r.try_get("alert")?,
        });
    }
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more.then(|| {
        let last = items.last().expect("a page with more rows has a last row");
        cursor::encode(&Key {
            sort: sort.clone(),
            value: match sort.trim_start_matches('-') {
                "score" => Some(last.score),
                "utilisation" => Some(last.utilisation),
                _ => None,
            },
            id: last.customer_id.clone(),
        })
    });
    let body = RiskPage {
        items,
        next_cursor,
        projected,
    };
    Ok(with_etag(Json(body).into_response(), &tag))
}

/// The first `n` entries of a JSON array.
pub fn top(v: serde_json::Value, n: usize) -> serde_json::Value {
    match v {
        serde_json::Value::Array(mut a) => {
            a.truncate(n);
            serde_json::Value::Array(a)
        }
        other => other,
    }
}
