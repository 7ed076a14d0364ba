-- Views for the admin and customer API: every recorded risk decision (band
-- changes over time, migrations, the reasons in force) and every alert with
-- its delivery state. Both are rebuilt from the log like every other view.

CREATE TABLE risk_decisions (
    decision_id   text        PRIMARY KEY,
    customer_id   text        NOT NULL,
    position      bigint      NOT NULL,
    as_of         timestamptz NOT NULL,
    band_before   text        NOT NULL,
    band          text        NOT NULL,
    score         double precision NOT NULL,
    fired_rules   text[]      NOT NULL,
    -- Top reasons: [{code, text, help, contribution}].
    reasons       jsonb       NOT NULL,
    model_version text        NOT NULL
);
CREATE INDEX risk_decisions_customer ON risk_decisions (customer_id, position DESC);
CREATE INDEX risk_decisions_as_of ON risk_decisions (as_of);

CREATE TABLE customer_alerts (
    alert_id       text        PRIMARY KEY,
    customer_id    text        NOT NULL,
    position       bigint      NOT NULL,
    -- escalation, manual or welcome.
    kind           text        NOT NULL,
    decision_id    text,
    requested_by   text,
    reason         text,
    template       text        NOT NULL,
    body_params    jsonb       NOT NULL,
    raised_at      timestamptz NOT NULL,
    -- raised, suppressed, sent or failed.
    status         text        NOT NULL,
    wamid          text,
    attempts       integer     NOT NULL DEFAULT 0,
    fallback_used  boolean     NOT NULL DEFAULT false,
    sent_at        timestamptz,
    failed_code    bigint,
    failed_reason  text,
    -- The furthest delivery status reported: sent, delivered, read, failed.
    delivery       text,
    delivered_at   timestamptz,
    read_at        timestamptz
);
CREATE INDEX customer_alerts_customer ON customer_alerts (customer_id, raised_at DESC, alert_id);
CREATE INDEX customer_alerts_raised ON customer_alerts (raised_at);

-- Top-risk listing: filter by recorded band, order by score.
CREATE INDEX customer_risk_recorded ON customer_risk (recorded_band, score DESC, customer_id);
CREATE INDEX customer_risk_score ON customer_risk (score DESC, customer_id);
