-- Feature states are stored in binary (projections/src/views/state_codec.rs):
-- reading a year of history back as JSON cost most of a day-end evaluation.
-- Rows written before keep their JSON until the customer's next write.
ALTER TABLE customer_features ALTER COLUMN state DROP NOT NULL;
ALTER TABLE customer_features ADD COLUMN state_bin bytea;
ALTER TABLE customer_features ADD CONSTRAINT customer_features_state_stored
    CHECK (state IS NOT NULL OR state_bin IS NOT NULL);
