-- tasks.retention: the sweeper deletes the tasks that closed before a cutoff, oldest first.
CREATE INDEX tasks_closed_at ON tasks (closed_at) WHERE closed_at IS NOT NULL;
