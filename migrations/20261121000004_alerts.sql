-- Alerts: the dispatch queue derived from `AlertRaised` events (the events
-- are the outbox; this table is their index plus the dispatcher's working
-- state). The local adapter's inbox is deliberately not here: it lives in
-- memory, so a one-time code it shows is never stored in the database.

-- One row per raised alert, inserted by the alert-outbox projection in the
-- same transaction as its checkpoint. Dispatchers claim due rows with
-- FOR UPDATE SKIP LOCKED, so several API processes can dispatch together.
CREATE TABLE alert_outbox (
    alert_id         text        PRIMARY KEY,
    customer_id      text        NOT NULL,
    recipient        text        NOT NULL,
    message          jsonb       NOT NULL,
    fallback         jsonb,
    raised_at        timestamptz NOT NULL,
    -- Global position of the AlertRaised event (for latency figures).
    raised_position  bigint      NOT NULL,
    state            text        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- Set while a send is under way, and kept when its outcome is unknown
    -- (a timeout, a crash): such a row is not sent again until a status
    -- webhook settles it or the reconcile window passes.
    in_flight_since  timestamptz,
    fallback_used    boolean     NOT NULL DEFAULT false,
    -- Learnt from the send's answer, or from a status webhook that carries
    -- the alert id (biz_opaque_callback_data).
    wamid            text,
    -- Failed attempts so far, oldest first (kept on the outcome event).
    failures         jsonb       NOT NULL DEFAULT '[]'::jsonb,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX alert_outbox_wamid ON alert_outbox (wamid) WHERE wamid IS NOT NULL;
