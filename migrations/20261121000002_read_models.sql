-- Read side: projection checkpoints and the views admins filter and sort.
-- Every view is rebuilt from the event log by `early-risk rebuild`; nothing
-- here is a source of truth.

-- Where each projection is in the commit-ordered log, and why it stopped if
-- it did.
CREATE TABLE projection_checkpoints (
    name            text        PRIMARY KEY,
    tx_id           xid8        NOT NULL DEFAULT '0'::xid8,
    position        bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    failed_at       timestamptz
);

-- One row per customer: identity, terms, usage, and (once the risk engine
-- lands) the current band.
CREATE TABLE customer_overview (
    customer_id        text        PRIMARY KEY,
    name               text        NOT NULL,
    phone              text        NOT NULL,
    currency           text        NOT NULL,
    credit_limit_minor bigint      NOT NULL,
    balance_minor      bigint      NOT NULL,
    utilisation        double precision NOT NULL,
    opened_at          timestamptz NOT NULL,
    last_activity_at   timestamptz NOT NULL,
    days_past_due      integer     NOT NULL DEFAULT 0,
    band               text,
    score              double precision,
    band_since         timestamptz,
    last_sequence      bigint      NOT NULL
);
CREATE INDEX customer_overview_utilisation ON customer_overview (utilisation DESC, customer_id);

-- Current behavioural features per customer, and the bounded state they are
-- computed from (so a new event needs no replay).
CREATE TABLE customer_features (
    customer_id            text        PRIMARY KEY,
    as_of                  timestamptz NOT NULL,
    utilisation            double precision NOT NULL,
    over_limit_count       double precision NOT NULL,
    cash_withdrawal_share  double precision NOT NULL,
    spend_change_pct       double precision NOT NULL,
    merchant_mix_index     double precision NOT NULL,
    merchant_mix_change    double precision NOT NULL,
    payment_ratio          double precision NOT NULL,
    min_due_frequency      double precision NOT NULL,
    consecutive_min_only   double precision NOT NULL,
    payment_stability      double precision NOT NULL,
    spend_volatility       double precision NOT NULL,
    days_past_due          double precision NOT NULL,
    max_days_past_due_6m   double precision NOT NULL,
    late_months_6m         double precision NOT NULL,
    state                  jsonb       NOT NULL,
    last_sequence          bigint      NOT NULL
);

-- Card transactions for drill-down.
CREATE TABLE customer_transactions (
    customer_id            text        NOT NULL,
    sequence               bigint      NOT NULL,
    transaction_id         text        NOT NULL,
    amount_minor           bigint      NOT NULL,
    currency               text        NOT NULL,
    kind                   text        NOT NULL,
    merchant_category_code text,
    merchant_name          text,
    channel                text        NOT NULL,
    occurred_at            timestamptz NOT NULL,
    PRIMARY KEY (customer_id, sequence)
);
CREATE INDEX customer_transactions_recent ON customer_transactions (customer_id, occurred_at DESC, sequence DESC);

-- Monthly statements and what was paid against them, for drill-down.
CREATE TABLE customer_statements (
    customer_id           text        NOT NULL,
    period                text        NOT NULL,
    closing_balance_minor bigint      NOT NULL,
    minimum_due_minor     bigint      NOT NULL,
    due_date              date        NOT NULL,
    issued_at             timestamptz NOT NULL,
    PRIMARY KEY (customer_id, period)
);

-- Every risk score over time, for charts: one row per scored trigger event,
-- written by the scoring (features) projection.
CREATE TABLE risk_history (
    customer_id   text        NOT NULL,
    sequence      bigint      NOT NULL,
    scored_at     timestamptz NOT NULL,
    score         double precision NOT NULL,
    logistic      double precision NOT NULL,
    tree          double precision NOT NULL,
    model_band    text        NOT NULL,
    band          text        NOT NULL,
    fired_rules   text[]      NOT NULL,
    model_version text        NOT NULL,
    PRIMARY KEY (customer_id, sequence)
);
