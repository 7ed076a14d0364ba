-- The customer's utilisation against their own earlier months as a model
-- input (feature `utilisation_trend`). Rows written before it read 0 until
-- the customer is next scored or the read side is rebuilt.
ALTER TABLE customer_features ADD COLUMN utilisation_trend double precision NOT NULL DEFAULT 0;
