-- Which ended tasks still wait for their history to be archived. The archiver found them by
-- anti-joining every task that ended in its seven-day window against task_histories: each pass
-- read a week of tasks (65 ms at 23,000 tasks in dev mode), so its cost grew with the traffic and
-- not with what was left to archive. A flag on the task, set in the statement that writes its
-- history row, and an index holding only the tasks that wait make the lookup proportional to
-- what is pending.
ALTER TABLE tasks ADD COLUMN history_archived boolean NOT NULL DEFAULT false;

UPDATE tasks SET history_archived = true
WHERE EXISTS (SELECT 1 FROM task_histories h WHERE h.task_id = tasks.id);

-- The archiver was the only reader of the index on every closed task.
DROP INDEX tasks_closed_at;
CREATE INDEX tasks_history_pending ON tasks (closed_at) WHERE closed_at IS NOT NULL AND NOT history_archived;
