-- The pricing category WhatsApp charged a delivered alert under (utility,
-- authentication, …), so the bank can see what alerts cost; failure reasons
-- from delivery webhooks go into failed_reason.
ALTER TABLE customer_alerts ADD COLUMN pricing_category text;
