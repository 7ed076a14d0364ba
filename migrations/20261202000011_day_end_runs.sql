-- Day-end evaluations (projections/src/day_end.rs): one row per business day
-- whose end was evaluated, with how far the run got, so a run that stopped
-- resumes after its last committed page and a finished day is not run again.
CREATE TABLE day_end_runs (
    day           date        PRIMARY KEY,
    model_version text        NOT NULL,
    -- The last customer id whose page committed ('' before any).
    cursor        text        NOT NULL DEFAULT '',
    customers     bigint      NOT NULL DEFAULT 0,
    decisions     bigint      NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
