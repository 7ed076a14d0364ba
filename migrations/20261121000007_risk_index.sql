-- `customer_risk_band_score` indexed the band as last scored, which no query
-- filters on (the admin listing filters the recorded band and orders by
-- score: `customer_risk_recorded`, `customer_risk_score`). The score moves
-- with every transaction, so each index on it is rewritten on every scoring
-- step: this one cost the scoring projection a fourth index write per
-- customer for nothing.
DROP INDEX IF EXISTS customer_risk_band_score;
