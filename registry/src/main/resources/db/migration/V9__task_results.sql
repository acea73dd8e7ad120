-- Large tool results of agent tasks, kept here instead of in the workflow history: the history
-- holds a reference (the id) and a preview, and the model call reads the result back. A row is
-- readable only by its task (the workflow id) within its tenant. The front end's task sweeper
-- deletes a task's rows 7 days after the task ended (TaskSweeper.RESULT_RETENTION).
CREATE TABLE task_results (
  id          text PRIMARY KEY,        -- res_..., unguessable
  tenant_id   text NOT NULL,
  task_id     text NOT NULL,           -- the workflow id of the task
  step_id     text NOT NULL,           -- the tool call's step (tool-<step>.<n>)
  chars       integer NOT NULL,        -- the result's length in characters, before any cut
  stored      integer NOT NULL,        -- the characters kept in content (a longer result is cut)
  bytes       integer NOT NULL,        -- the compressed size
  content     bytea NOT NULL,          -- UTF-8, gzip-compressed
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX task_results_task ON task_results (task_id);
CREATE INDEX task_results_created_at ON task_results (created_at);
