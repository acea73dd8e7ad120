-- The workflow history of every task that ended, kept by Gatehouse so its trace, its events and
-- its replay outlive the engine (a dev restart, a cluster's retention period). One row per task:
-- every run of its workflow (continue-as-new makes several), gzip-compressed. A task whose history
-- the engine no longer had when Gatehouse came to archive it has a row with history NULL, so it is
-- not asked for again.
CREATE TABLE task_histories (
  task_id      text PRIMARY KEY,
  tenant_id    text,
  runs         integer NOT NULL,
  events       integer NOT NULL,
  bytes        integer NOT NULL,   -- the compressed size
  history      bytea,              -- NULL: the engine had lost it
  archived_at  timestamptz NOT NULL DEFAULT now()
);

-- The archiver looks at tasks that ended in the last days, newest first.
CREATE INDEX tasks_closed_at ON tasks (closed_at) WHERE closed_at IS NOT NULL;
