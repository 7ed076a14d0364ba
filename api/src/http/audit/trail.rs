//! Recording an audit read on the reader's trail before it is answered: the
//! request is checked first (a refused request records nothing), then the
//! read is recorded, then answered. If the record cannot be written the
//! caller gets an error and no answer — nobody reads the audit unrecorded.
//!
//! One reader's trail is one stream, and a console fires several reads at
//! once: in this process they take turns on a per-reader lock instead of
//! racing for the same sequence and retrying (another process can still
//! race; the bus retries that).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use domain::audit_trail::{AuditQuery, AuditTrailAddressed, AuditTrailError, RecordAuditRead};
use store::CommandError;

use crate::auth::Caller;
use crate::http::problem::Problem;
use crate::http::AppState;
use store::Metadata;

/// Per-reader turns for recording (see the module docs).
#[derive(Default)]
pub struct TrailLocks {
    readers: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl TrailLocks {
    fn of(&self, reader: &str) -> Arc<tokio::sync::Mutex<()>> {
        // A panic while holding this lock cannot leave the map half-written.
        let mut map = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(reader.to_owned()).or_default().clone()
    }
}

/// What a request reads, for its record.
pub struct Read<'a> {
    /// The kind of read.
    pub query: AuditQuery,
    /// The customer it names.
    pub customer_id: Option<&'a str>,
    /// The decision it names.
    pub decision_id: Option<&'a str>,
    /// The cut-off it asks for, verbatim.
    pub as_of: Option<String>,
}

/// Records `read` by `caller` on their trail.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    meta: &Metadata,
    read: Read<'_>,
) -> Result<(), Problem> {
    let command = AuditTrailAddressed {
        reader: caller.subject.clone(),
        read: RecordAuditRead {
            reader: caller.subject.clone(),
            role: caller.role.as_str().to_owned(),
            query: read.query,
            customer_id: read.customer_id.map(str::to_owned),
            decision_id: read.decision_id.map(str::to_owned),
            as_of: read.as_of,
            request_id: meta.request_id.clone(),
            read_at: Utc::now(),
        },
    };
    let turn = state.audit_locks.of(&caller.subject);
    let _turn = turn.lock().await;
    match state
        .audit_trails
        .execute(&caller.subject, command, meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(CommandError::Rejected(AuditTrailError::Invalid { field, reason })) => {
            Err(Problem::field(field, reason))
        }
        // Many reads by one auditor at once: the bus retried and lost every
        // time. Nothing was recorded or answered; asking again is safe.
        Err(CommandError::Conflict) => Err(Problem::new(
            StatusCode::CONFLICT,
            "concurrent-update",
            "Conflict",
            "the read could not be recorded on the audit trail; retrying the request is safe",
        )),
        Err(CommandError::Store(e)) => Err(Problem::from(e)),
    }
}
