-- The portfolio's alert budget (ALERT_FALSE_ALARM_BUDGET): what the escalation
-- policy counts before it messages one more customer. One row per customer:
-- when the account opened, when it first was 30+ days past due, and when a
-- risk alert last messaged it (all business time). The policy writes it in
-- the same transaction as its checkpoint, so the counts always match the
-- point of the log it stands at.
CREATE TABLE alert_budget_customers (
    customer_id   text        PRIMARY KEY,
    opened_at     timestamptz NOT NULL,
    delinquent_at timestamptz,
    messaged_at   timestamptz,
    -- A rise into High withheld for want of room: since when the customer
    -- waits, and the alert to raise once room comes back (oldest first).
    withheld_since timestamptz,
    withheld_alert jsonb
);

CREATE INDEX alert_budget_waiting ON alert_budget_customers (withheld_since, customer_id)
    WHERE withheld_since IS NOT NULL;

-- The window count: customers messaged since a moment who are not delinquent.
CREATE INDEX alert_budget_messaged ON alert_budget_customers (messaged_at)
    WHERE delinquent_at IS NULL AND messaged_at IS NOT NULL;

-- An existing deployment starts with true counts: every customer registered,
-- the first report of 30+ days past due, and the latest escalation alert
-- raised (sent or not: raised is what the budget let through). The policy
-- replaying events these rows already hold changes nothing.
INSERT INTO alert_budget_customers (customer_id, opened_at)
SELECT aggregate_id, (payload -> 'CustomerRegistered' ->> 'opened_at')::timestamptz
FROM events
WHERE aggregate_type = 'customer' AND event_type = 'CustomerRegistered'
ON CONFLICT (customer_id) DO NOTHING;

UPDATE alert_budget_customers b SET delinquent_at = d.at
FROM (SELECT aggregate_id, min((payload -> 'DaysPastDueReported' ->> 'as_of')::timestamptz) AS at
      FROM events
      WHERE aggregate_type = 'customer' AND event_type = 'DaysPastDueReported'
        AND (payload -> 'DaysPastDueReported' ->> 'days_past_due')::bigint >= 30
      GROUP BY aggregate_id) d
WHERE b.customer_id = d.aggregate_id;

UPDATE alert_budget_customers b SET messaged_at = m.at
FROM (SELECT aggregate_id, max((payload -> 'AlertRaised' ->> 'raised_at')::timestamptz) AS at
      FROM events
      WHERE aggregate_type = 'customer' AND event_type = 'AlertRaised'
        AND payload -> 'AlertRaised' -> 'cause' ->> 'kind' = 'escalation'
      GROUP BY aggregate_id) m
WHERE b.customer_id = m.aggregate_id;
