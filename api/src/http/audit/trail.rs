//! Recording an audit read on the reader's trail before it is answered: the
//! request is checked first (a refused request records nothing), then the
//! read is recorded, then answered. If the record cannot be written the
//! caller gets an error and no answer — nobody reads the audit unrecorded.

use axum::http::StatusCode;
use chrono::Utc;
use commands::CommandError;
use domain::audit_trail::{AuditQuery, AuditTrailAddressed, AuditTrailError, RecordAuditRead};

use crate::auth::Caller;
use crate::http::problem::Problem;
use crate::http::AppState;
use commands::Metadata;

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
