-- Token buckets of the rate limits, shared by every replica on this database. One row per limit
-- and subject (say "rpm:agent:agt_…"); RateBucketDao.take refills and takes in one statement, so
-- one round trip decides, and concurrent takes of one bucket are serialized by its row lock.
CREATE TABLE rate_buckets (
  key         text PRIMARY KEY,
  tokens      double precision NOT NULL,   -- what is left after the last take (may be below what a take needs)
  admitted    boolean NOT NULL,            -- whether the last take was admitted
  updated_at  timestamptz NOT NULL         -- when tokens was last computed
);

CREATE INDEX rate_buckets_updated_at ON rate_buckets (updated_at);
