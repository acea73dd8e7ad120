-- Rate-limit buckets are not written to the WAL. A take then commits without waiting for a WAL
-- flush to disk (PostgreSQL skips that wait for a transaction that wrote no WAL), which is most of
-- what a take cost a call. The row lock still orders concurrent takes, so limits stay exact across
-- replicas. What is given up is durability the buckets do not need:
-- - after a PostgreSQL crash (not a clean restart) the table is empty;
-- - a streaming replica has no copy, so after a failover the table is empty there too.
-- Either way every bucket then starts full, as a bucket seen for the first time does, and the
-- limits hold again from the next take. Budgets are money and stay logged.
ALTER TABLE rate_buckets SET UNLOGGED;
