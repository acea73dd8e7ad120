-- The first slice of the registry: HTTP tools, agent API keys and the task index.

CREATE TABLE tools (
  name        text PRIMARY KEY,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  agent       text NOT NULL,
  key_hash    bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Gatehouse's own index of tasks (the Temporal dev server has no visibility queries, and the
-- task list must not depend on one). The workflow history stays the source of truth for
-- results and traces.
CREATE TABLE tasks (
  id               text PRIMARY KEY,
  agent            text NOT NULL,
  workflow         text NOT NULL,
  status           text NOT NULL,
  idempotency_key  text,
  request_hash     text,
  error_code       text,
  error_message    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  closed_at        timestamptz
);

CREATE INDEX tasks_agent_created ON tasks (agent, created_at DESC, id DESC);
CREATE INDEX tasks_agent_status_created ON tasks (agent, status, created_at DESC, id DESC);
