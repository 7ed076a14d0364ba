//! Several writes of one step sent as one statement (data-modifying `WITH`
//! clauses), so the step pays one round trip for them instead of one each.
//!
//! Why it matters: a scoring step is on the path from a transaction to its
//! decision, and under load each round trip waits for two processes to be
//! scheduled on a busy machine.

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, Encode, PgConnection, Postgres, Type};

use crate::projection::ProjectionError;

/// The writes gathered so far and their bind values (encoded as they are
/// bound, so borrowed values need only live for the call).
#[derive(Default)]
pub(super) struct Writes {
    parts: Vec<String>,
    args: PgArguments,
    count: usize,
}

impl Writes {
    /// Adds a bind value; returns its placeholder (`$n`).
    pub(super) fn bind<'q, T>(&mut self, value: T) -> Result<String, ProjectionError>
    where
        T: Encode<'q, Postgres> + Type<Postgres> + 'q,
    {
        self.args
            .add(value)
            .map_err(|e| ProjectionError::Unavailable(format!("cannot bind a value: {e}")))?;
        self.count += 1;
        Ok(format!("${}", self.count))
    }

    /// Adds one data-modifying statement (an INSERT, with its placeholders
    /// from [`Writes::bind`]).
    pub(super) fn push(&mut self, statement: String) {
        self.parts.push(statement);
    }

    /// Sends every write gathered in one statement (nothing if there is
    /// none). Each runs exactly once and to completion, on the same
    /// snapshot; they must not touch the same rows.
    pub(super) async fn execute(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.parts.is_empty() {
            return Ok(());
        }
        let ctes: Vec<String> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("w{i} AS ({p})"))
            .collect();
        let sql = format!("WITH {} SELECT 1", ctes.join(", "));
        sqlx::query_with(&sql, self.args).execute(tx).await?;
        Ok(())
    }
}
