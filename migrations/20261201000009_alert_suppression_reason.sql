-- Why a suppressed alert was not sent: 'cooldown' (an earlier alert is still
-- within its cooldown) or 'stale' (the triggering fact was older than
-- ALERT_MAX_AGE when it was decided, e.g. imported history).
ALTER TABLE customer_alerts ADD COLUMN suppressed_reason text;
UPDATE customer_alerts SET suppressed_reason = 'cooldown' WHERE status = 'suppressed';
