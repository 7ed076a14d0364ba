-- The customer's payments against their own earlier statements as a model
-- input (feature `payment_ratio_change`). Rows written before it read 0
-- until the customer is next scored or the read side is rebuilt.
ALTER TABLE customer_features ADD COLUMN payment_ratio_change double precision NOT NULL DEFAULT 0;
