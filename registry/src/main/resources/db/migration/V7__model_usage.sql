-- One row per model call: who made it, which provider answered, the tokens, the cost at the
-- registry's prices, how long it took and how it ended. Rows outlive the tenants, agents and
-- models they name (no foreign keys): usage is a record of what happened, and a row written just
-- after its agent was deleted must not fail.

CREATE TABLE model_usage (
  id                   bigserial PRIMARY KEY,
  at                   timestamptz NOT NULL,
  tenant_id            text,
  agent_id             text,
  model                text,            -- the alias the agent named
  provider             text,            -- the provider that answered; NULL when none did
  provider_model       text,
  operation            text NOT NULL,   -- chat | embeddings
  input_tokens         bigint NOT NULL, -- every input token, the cached ones included
  cached_input_tokens  bigint NOT NULL,
  output_tokens        bigint NOT NULL, -- every output token, the reasoning ones included
  reasoning_tokens     bigint NOT NULL,
  estimated            boolean NOT NULL, -- counted by Gatehouse, not reported by the provider
  cost                 numeric,          -- NULL: the model has no prices
  latency_ms           bigint NOT NULL,
  ttft_ms              bigint,           -- time to first token; NULL when not streamed
  outcome              text NOT NULL,    -- ok | an error code
  stream               boolean NOT NULL,
  task_id              text,
  step_id              text,
  request_id           text
);

-- The usage queries: a tenant's or an agent's calls over a time range, a task's calls, and (for
-- platform admins) everyone's over a time range.
CREATE INDEX model_usage_tenant_at ON model_usage (tenant_id, at);
CREATE INDEX model_usage_agent_at ON model_usage (agent_id, at);
CREATE INDEX model_usage_task ON model_usage (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX model_usage_at ON model_usage (at);
