//! How fresh a read is: the checkpoints of the projections it reads, and an
//! ETag derived from them (a read model changes only when its checkpoint
//! moves), so clients can revalidate heavy reads cheaply.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// One projection's position.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Projected {
    /// Projection name.
    pub projection: String,
    /// Global position of the last event it applied.
    pub position: i64,
    /// When it last moved.
    pub projected_at: DateTime<Utc>,
}

/// The positions of `names`.
pub async fn positions(
    db: &mut PgConnection,
    names: &[&str],
) -> Result<Vec<Projected>, sqlx::Error> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let rows: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT name, position, updated_at FROM projection_checkpoints WHERE name = ANY($1) ORDER BY name",
    )
    .bind(&names)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(projection, position, projected_at)| Projected {
            projection,
            position,
            projected_at,
        })
        .collect())
}

/// A weak ETag over the positions and the request's own key (path + query).
pub fn etag(positions: &[Projected], request_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(request_key.as_bytes());
    for p in positions {
        h.update(p.projection.as_bytes());
        h.update(p.position.to_be_bytes());
    }
    format!("W/\"{}\"", hex::encode(&h.finalize()[..12]))
}

/// 304 when `If-None-Match` carries `tag`.
pub fn not_modified(headers: &HeaderMap, tag: &str) -> Option<Response> {
    let sent = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    sent.split(',')
        .any(|t| t.trim() == tag)
        .then(|| (StatusCode::NOT_MODIFIED, [(header::ETAG, tag.to_owned())]).into_response())
}

/// Adds the ETag to a response.
pub fn with_etag(mut response: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}
