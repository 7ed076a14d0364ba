-- Risk engine: the model registry, each customer's current risk, every score
-- over time, and decisions waiting to be recorded on the customer's stream.

-- Every model artifact ever loaded, by version (sha256 of its canonical
-- bytes), so a decision can be re-run with the model that made it even after
-- artifacts/ changes. Rows are never updated.
CREATE TABLE model_registry (
    version       text        PRIMARY KEY,
    name          text        NOT NULL,
    rule_set      text        NOT NULL,
    -- The canonical bytes themselves (text, not jsonb: hashing them again
    -- must give the version).
    canonical     text        NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- Each customer's latest score and band (from the scoring projection), the
-- band and rules of the last recorded RiskAssessed event, and the last
-- decision the projection asked for (so a decision on its way is not asked
-- for twice).
CREATE TABLE customer_risk (
    customer_id        text        PRIMARY KEY,
    score              double precision NOT NULL,
    band               text        NOT NULL,
    fired_rules        text[]      NOT NULL,
    scored_at          timestamptz NOT NULL,
    scored_sequence    bigint      NOT NULL,
    model_version      text        NOT NULL,
    recorded_band      text        NOT NULL DEFAULT 'Low',
    recorded_rules     text[]      NOT NULL DEFAULT '{}',
    recorded_since     timestamptz,
    requested_band     text,
    requested_rules    text[],
    last_decision_id   text
);
CREATE INDEX customer_risk_band_score ON customer_risk (band, score DESC, customer_id);

-- Decisions the scoring projection asked for, written in the same
-- transaction as its checkpoint; the decision recorder turns each into a
-- command (idempotent on decision_id) and then deletes it.
CREATE TABLE decision_outbox (
    decision_id text        PRIMARY KEY,
    customer_id text        NOT NULL,
    command     jsonb       NOT NULL,
    -- Set when the aggregate refused the decision: kept for operators,
    -- never retried.
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
