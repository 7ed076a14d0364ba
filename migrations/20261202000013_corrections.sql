-- Corrections of recorded facts (reversals, returned payments, corrected
-- statements), for drill-down: one row per correction event. The
-- transactions and statements lists read them beside the facts they
-- correct, which stay as they were recorded.
CREATE TABLE customer_corrections (
    customer_id           text        NOT NULL,
    sequence              bigint      NOT NULL,
    kind                  text        NOT NULL CHECK (kind IN ('reversal', 'returned_payment', 'statement_correction')),
    correction_id         text        NOT NULL,
    corrects              text        NOT NULL,
    amount_minor          bigint,
    reason                text,
    closing_balance_minor bigint,
    minimum_due_minor     bigint,
    due_date              date,
    at                    timestamptz NOT NULL,
    PRIMARY KEY (customer_id, sequence)
);
CREATE INDEX customer_corrections_of ON customer_corrections (customer_id, kind, corrects);

-- The feature that counts payments returned unpaid (0 for every state
-- folded before returned payments could be recorded).
ALTER TABLE customer_features ADD COLUMN returned_payments_90d double precision NOT NULL DEFAULT 0;
