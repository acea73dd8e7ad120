-- When a running task's run timeout passes, and when its cancellation was asked for: what lets
-- Gatehouse close tasks no workflow code reports on (a run timeout; a cancel the workflow cannot
-- process) without waiting for someone to read them.

ALTER TABLE tasks ADD COLUMN deadline timestamptz;
ALTER TABLE tasks ADD COLUMN cancel_requested_at timestamptz;

CREATE INDEX tasks_running_deadline ON tasks (deadline) WHERE status = 'RUNNING';
CREATE INDEX tasks_running_cancel_requested ON tasks (cancel_requested_at)
  WHERE status = 'RUNNING' AND cancel_requested_at IS NOT NULL;
