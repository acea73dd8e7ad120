-- Which replica archives a task's history. Every replica's archiver listed the same pending tasks
-- (the newest that ended) and read each one's whole history from the engine; all but one insert
-- then found the row written and threw their read away, so N replicas read every history N times.
-- An archiver now claims its batch: it stamps the tasks it takes with a lease, skipping those
-- another replica holds (rows locked by a claim under way, or leased until later). A replica that
-- stops or dies mid-batch leaves its lease to run out, and another takes the tasks then.
ALTER TABLE tasks ADD COLUMN history_claimed_until timestamptz;
