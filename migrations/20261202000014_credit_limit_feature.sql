-- The credit limit in force as a model input (feature `credit_limit`, in
-- hundreds of minor units). Rows written before it read 0 until the customer
-- is next scored or the read side is rebuilt.
ALTER TABLE customer_features ADD COLUMN credit_limit double precision NOT NULL DEFAULT 0;
