-- Admission control counts the open tasks of a tenant, and of all tenants, on every submit.
-- A task's deadline is when its run timeout ends it: a row still RUNNING after it (a timeout no
-- workflow code sees, recorded only when someone next reads the task) is no longer open.
ALTER TABLE tasks ADD COLUMN deadline timestamptz;

-- Rows from before this column: the default run timeout (limits.defaultTaskTimeout, 24h).
UPDATE tasks SET deadline = created_at + interval '24 hours' WHERE status = 'RUNNING';

CREATE INDEX tasks_open_by_tenant ON tasks (tenant_id, deadline) WHERE status = 'RUNNING';
