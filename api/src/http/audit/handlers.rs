//! The audit handlers. Each checks its request first (a refused request
//! records nothing), records the read on the caller's trail, then answers
//! from the log: [`audit::record`] for decision records, [`audit::replay`]
//! for replays with the model the decision names (from the registry), and
//! [`audit::asof`] with the alerts section for a state as of a cut-off.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::audit_trail::AuditQuery;
use serde::Serialize;

use super::trail::{self, Read};
use crate::auth::Caller;
use crate::http::params::{bad_param, Params};
use crate::http::problem::Problem;
use crate::http::{AppState, RequestMeta};
use ::audit::asof::{state_as_of as state_at, Cutoff};
use ::audit::asof_alerts::AlertsAsOf;
use ::audit::diff::FieldDiff;
use ::audit::replay::Verdict;
use ::audit::AuditError;

/// Most decisions on one page of a customer's list.
pub const MAX_PAGE: i64 = 200;
/// Most later events listed with each decision.
pub const MAX_FOLLOW: i64 = 1_000;

fn problem(e: AuditError) -> Problem {
    match e {
        AuditError::Database(e) => Problem::from(e),
        AuditError::NotFound(what) => Problem::not_found(format!("no {what}")),
        // Damage or a bug in what is stored: reported as such, never hidden.
        AuditError::Corrupt(what) => {
            Problem::internal(&format!("stored data is unreadable: {what}"))
        }
    }
}

fn customer_id(raw: &str) -> Result<String, Problem> {
    domain::values::CustomerId::parse(raw)
        .map(|c| c.to_string())
        .map_err(|m| bad_param("customer_id", m))
}

/// Decision ids are `<customer id>:<log position of the trigger>`, or
/// `<customer id>:day:<YYYY-MM-DD>` for a day-end decision.
fn decision_id(raw: &str) -> Result<(), Problem> {
    let ok = raw.len() <= 128
        && domain::risk::decision_customer(raw)
            .is_some_and(|c| domain::values::CustomerId::parse(c).is_ok());
    if ok {
        Ok(())
    } else {
        Err(bad_param(
            "decision_id",
            "must be <customer id>:<log position> (e.g. C-1001:4711) or \
             <customer id>:day:<YYYY-MM-DD> (e.g. C-1001:day:2026-12-01)",
        ))
    }
}

fn follow_limit(p: &Params, default: i64) -> Result<usize, Problem> {
    let n = p
        .parse::<i64>("follow_limit", "an integer")?
        .unwrap_or(default);
    if !(0..=MAX_FOLLOW).contains(&n) {
        return Err(bad_param(
            "follow_limit",
            format!("must be between 0 and {MAX_FOLLOW}"),
        ));
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

async fn customer_exists(state: &AppState, id: &str) -> Result<(), Problem> {
    if ::audit::log::customer_exists(&state.pool, id)
        .await
        .map_err(problem)?
    {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no customer {id}")))
    }
}

/// `GET /v1/audit/customers/{id}/decisions`.
#[utoipa::path(
    get,
    path = "/v1/audit/customers/{customer_id}/decisions",
    tag = "audit",
    summary = "A customer's decision records, oldest first",
    description = "Each record: the triggering event, the log checkpoint, features, model and rule-set \
                   versions, component scores, band change, fired rules, explanation, and what followed \
                   on the stream. Computed from the event log. The read is recorded on the caller's audit trail.",
    params(
        ("customer_id" = String, Path, description = "The bank's customer id"),
        ("limit" = Option<i64>, Query, description = "Decisions per page, 1-200 (default 50)", minimum = 1, maximum = 200),
        ("after" = Option<i64>, Query, description = "Only decisions after this stream sequence (the previous page's `next_after`)", minimum = 0),
        ("follow_limit" = Option<i64>, Query, description = "Later events listed per decision, 0-1000 (default 20)", minimum = 0, maximum = 1000)
    ),
    responses(
        (status = 200, description = "The records", body = DecisionPage),
        (status = 400, description = "Bad parameter", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        crate::http::openapi::problems::UnknownCustomer,
        (status = 409, description = "The read could not be recorded (safe to retry)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn list_decisions(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    RequestMeta(meta): RequestMeta,
) -> Result<Json<DecisionPage>, Problem> {
    let id = customer_id(&raw)?;
    let p = Params::new(q, &["limit", "after", "follow_limit"])?;
    let limit = usize::try_from(p.limit(50, MAX_PAGE)?).unwrap_or(50);
    let after = p.parse::<i64>("after", "an integer")?;
    if after.is_some_and(|a| a < 0) {
        return Err(bad_param("after", "must not be negative"));
    }
    let follow = follow_limit(&p, 20)?;
    let read = Read {
        query: AuditQuery::CustomerDecisions,
        customer_id: Some(&id),
        decision_id: None,
        as_of: None,
    };
    trail::record(&state, &caller, &meta, read).await?;
    customer_exists(&state, &id).await?;
    let all = ::audit::record::customer_decisions(&state.pool, &id, follow)
        .await
        .map_err(problem)?;
    let after = after.unwrap_or(-1);
    let mut page: Vec<_> = all.into_iter().filter(|r| r.sequence > after).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_after = more.then(|| page.last().map(|r| r.sequence)).flatten();
    Ok(Json(DecisionPage {
        customer_id: id,
        decisions: page,
        next_after,
    }))
}

/// `GET /v1/audit/decisions/{id}`.
#[utoipa::path(
    get,
    path = "/v1/audit/decisions/{decision_id}",
    tag = "audit",
    summary = "One decision's full record",
    params(
        ("decision_id" = String, Path, description = "`<customer id>:<log position of the trigger>`"),
        ("follow_limit" = Option<i64>, Query, description = "Later events listed, 0-1000 (default 100)", minimum = 0, maximum = 1000)
    ),
    responses(
        (status = 200, description = "The record", body = ::audit::record::DecisionRecord),
        (status = 400, description = "Bad parameter", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        (status = 404, description = "Unknown decision", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The read could not be recorded (safe to retry)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn show_decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    RequestMeta(meta): RequestMeta,
) -> Result<Json<::audit::record::DecisionRecord>, Problem> {
    decision_id(&id)?;
    let p = Params::new(q, &["follow_limit"])?;
    let follow = follow_limit(&p, ::audit::record::DEFAULT_FOLLOW_LIMIT as i64)?;
    let read = Read {
        query: AuditQuery::Decision,
        customer_id: domain::risk::decision_customer(&id),
        decision_id: Some(&id),
        as_of: None,
    };
    trail::record(&state, &caller, &meta, read).await?;
    let record = ::audit::record::decision_record(&state.pool, &id, follow)
        .await
        .map_err(problem)?;
    Ok(Json(record))
}

/// The answer to a replay.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplayAnswer {
    /// The decision.
    pub decision_id: String,
    /// Its customer.
    pub customer_id: String,
    /// Its stream sequence.
    pub sequence: i64,
    /// The model replayed with (the one the decision names).
    pub model_version: String,
    /// Events folded (at or before the checkpoint).
    pub events_folded: usize,
    /// `match` or `mismatch`.
    #[schema(pattern = "^(match|mismatch)$")]
    pub outcome: &'static str,
    /// The differences (empty on a match).
    pub diffs: Vec<FieldDiff>,
}

/// A page of a customer's decision records.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionPage {
    /// The customer.
    pub customer_id: String,
    /// Oldest first.
    pub decisions: Vec<::audit::record::DecisionRecord>,
    /// `after` for the next page; null on the last.
    #[schema(nullable)]
    pub next_after: Option<i64>,
}

/// `POST /v1/audit/decisions/{id}/replay`.
#[utoipa::path(
    post,
    path = "/v1/audit/decisions/{decision_id}/replay",
    tag = "audit",
    summary = "Replay a decision and compare it bit for bit",
    description = "Re-derives the features from the customer's events up to the decision's checkpoint \
                   (commit order) with the domain feature code, re-scores with the model version the \
                   decision names (loaded from the model registry, not the current file), re-runs rules \
                   and explanation, and answers `match` or the fields that differ. Takes no body.",
    params(("decision_id" = String, Path, description = "`<customer id>:<log position of the trigger>`")),
    responses(
        (status = 200, description = "Match or the differences", body = ReplayAnswer),
        (status = 400, description = "Bad parameter", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        (status = 404, description = "Unknown decision", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The read could not be recorded (safe to retry)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn replay_decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    RequestMeta(meta): RequestMeta,
) -> Result<Json<ReplayAnswer>, Problem> {
    decision_id(&id)?;
    let read = Read {
        query: AuditQuery::Replay,
        customer_id: domain::risk::decision_customer(&id),
        decision_id: Some(&id),
        as_of: None,
    };
    trail::record(&state, &caller, &meta, read).await?;
    let r = ::audit::replay::replay_decision(&state.pool, &state.audit_models, &id)
        .await
        .map_err(problem)?;
    let (outcome, diffs) = match r.verdict {
        Verdict::Match => ("match", Vec::new()),
        Verdict::Mismatch(d) => ("mismatch", d),
    };
    let answer = ReplayAnswer {
        decision_id: r.decision_id,
        customer_id: r.customer_id,
        sequence: r.sequence,
        model_version: r.model_version,
        events_folded: r.events_folded,
        outcome,
        diffs,
    };
    Ok(Json(answer))
}

/// The clocks `as_of` may read: recording time (what the system knew) or
/// business time (the facts that occurred by then).
pub const CLOCKS: [&str; 2] = ["recording", "business"];

/// `GET /v1/audit/customers/{id}/state?as_of=…|position=…`.
#[utoipa::path(
    get,
    path = "/v1/audit/customers/{customer_id}/state",
    tag = "audit",
    summary = "A customer's state as it stood at a moment or log position",
    description = "Features, band, the decision in force and the alerts (with the open ones) exactly as \
                   they stood, computed from the log. With `as_of` and `time=recording` (the default): what \
                   the system knew then — transactions fully recorded by that moment. With `time=business`: \
                   the facts that occurred by that moment as they are known now (a late fact counts in its \
                   own time; features as of the moment). `position` cuts at that event in commit order. Give \
                   `as_of` or `position`. The answer names its clock (`time`), says what it is (`meaning`), \
                   and with nothing known yet has `known: false` and no band.",
    params(
        ("customer_id" = String, Path, description = "The bank's customer id"),
        ("as_of" = Option<String>, Query, description = "RFC 3339 timestamp (default: now, when no position is given)", format = DateTime),
        ("time" = Option<String>, Query, description = "`recording` (default) or `business`: which clock `as_of` reads"),
        ("position" = Option<i64>, Query, description = "Global log position", minimum = 1)
    ),
    responses(
        (status = 200, description = "The state", body = ::audit::asof::StateAsOf),
        (status = 400, description = "Bad parameter", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unauthorized,
        crate::http::openapi::problems::Forbidden,
        (status = 404, description = "Unknown customer or log position", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The read could not be recorded (safe to retry)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        crate::http::openapi::problems::Unavailable
    ),
    security(("bearer" = []))
)]
pub async fn show_state_as_of(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    RequestMeta(meta): RequestMeta,
) -> Result<Json<::audit::asof::StateAsOf>, Problem> {
    let id = customer_id(&raw)?;
    let p = Params::new(q, &["as_of", "position", "time"])?;
    let business = p.choice("time", &CLOCKS)?.as_deref() == Some("business");
    let at = p
        .text("as_of")
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| bad_param("as_of", "must be an RFC 3339 timestamp"))
        })
        .transpose()?;
    let position = p.parse::<i64>("position", "an integer")?;
    let (cutoff, asked) = match (at, position) {
        (None, Some(_)) if business => {
            return Err(bad_param("time", "goes with as_of, not with position"))
        }
        (Some(t), None) if business => (
            Cutoff::OccurredBy(t),
            format!("business time {}", t.to_rfc3339()),
        ),
        (Some(t), None) => (Cutoff::At(t), t.to_rfc3339()),
        (None, Some(n)) if n >= 1 => (Cutoff::Position(n), format!("position {n}")),
        (None, Some(_)) => return Err(bad_param("position", "must be at least 1")),
        (Some(_), Some(_)) => {
            return Err(bad_param(
                "position",
                "give either as_of or position, not both",
            ))
        }
        // Neither: as of now, by the clock the request names.
        (None, None) if business => {
            let now = Utc::now();
            (
                Cutoff::OccurredBy(now),
                format!("business time {}", now.to_rfc3339()),
            )
        }
        (None, None) => {
            let now = Utc::now();
            (Cutoff::At(now), now.to_rfc3339())
        }
    };
    let read = Read {
        query: AuditQuery::StateAsOf,
        customer_id: Some(&id),
        decision_id: None,
        as_of: Some(asked),
    };
    trail::record(&state, &caller, &meta, read).await?;
    let s = state_at(
        &state.pool,
        &id,
        cutoff,
        vec![Box::new(AlertsAsOf::default())],
    )
    .await
    .map_err(problem)?;
    Ok(Json(s))
}
