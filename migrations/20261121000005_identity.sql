-- Identity: staff accounts, and the alert outbox learning to carry one-time
-- codes (sealed) for the login streams.

-- Admins, auditors and the bank's ingest systems. Passwords are argon2id
-- PHC strings; rows are only ever inserted.
CREATE TABLE staff_accounts (
    username      text        PRIMARY KEY,
    role          text        NOT NULL CHECK (role IN ('admin', 'auditor', 'ingest')),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Sign-in looks a customer up by phone.
CREATE INDEX customer_overview_phone ON customer_overview (phone);

-- 'alert' rows belong to a customer's alert; 'otp' rows to a code on the
-- login stream `stream_id` (the phone), with the code sealed (never clear).
ALTER TABLE alert_outbox
    ADD COLUMN kind      text NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert', 'otp')),
    ADD COLUMN stream_id text,
    ADD COLUMN sealed    text;
