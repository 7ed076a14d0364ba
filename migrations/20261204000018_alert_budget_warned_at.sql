-- The alert budget weighs a message still waiting for its outcome by the
-- chance that the portfolio's matured warnings give it (domain::alert_budget,
-- Outcomes). A warning is the first message of the stretch a customer counts
-- for: later messages in that stretch leave it, so a customer messaged again
-- does not look newly warned.
ALTER TABLE alert_budget_customers ADD COLUMN warned_at timestamptz;

-- The weighing reads the warnings by age: matured ones (older than the
-- maturity) and young ones not delinquent, both ranges of warned_at.
CREATE INDEX alert_budget_warned ON alert_budget_customers (warned_at)
    WHERE warned_at IS NOT NULL;

-- An existing deployment starts with each messaged customer's first
-- escalation alert raised in the 365 days up to their latest one (and, for a
-- customer messaged after their delinquency, after it).
UPDATE alert_budget_customers b SET warned_at = w.at
FROM (SELECT c.customer_id,
             min((e.payload -> 'AlertRaised' ->> 'raised_at')::timestamptz) AS at
      FROM alert_budget_customers c
      JOIN events e ON e.aggregate_type = 'customer' AND e.aggregate_id = c.customer_id
      WHERE c.messaged_at IS NOT NULL
        AND e.event_type = 'AlertRaised'
        AND e.payload -> 'AlertRaised' -> 'cause' ->> 'kind' = 'escalation'
        AND (e.payload -> 'AlertRaised' ->> 'raised_at')::timestamptz > c.messaged_at - interval '365 days'
        AND (c.delinquent_at IS NULL
             OR c.delinquent_at >= c.messaged_at
             OR (e.payload -> 'AlertRaised' ->> 'raised_at')::timestamptz > c.delinquent_at)
      GROUP BY c.customer_id) w
WHERE b.customer_id = w.customer_id;
