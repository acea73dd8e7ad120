-- Admission control counts the open tasks of a tenant, and of all tenants, on every submit.
-- A task's deadline is when its run timeout ends it: a row still RUNNING after it (a timeout no
-- workflow code sees) is no longer open. (IF NOT EXISTS: the task-lifecycle work adds the same
-- column in V4.)
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS deadline timestamptz;

-- Rows from before the column: the default run timeout (limits.defaultTaskTimeout, 24h).
UPDATE tasks SET deadline = created_at + interval '24 hours' WHERE status = 'RUNNING' AND deadline IS NULL;

CREATE INDEX tasks_open_by_tenant ON tasks (tenant_id, deadline) WHERE status = 'RUNNING';
