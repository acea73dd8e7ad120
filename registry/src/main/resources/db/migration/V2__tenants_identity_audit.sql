-- Tenants, agents and their permissions, agent and admin keys, identity providers, secrets,
-- tenant-owned tools, tasks that belong to an agent and a tenant, and the audit log.

CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  name         text NOT NULL,
  subject      text,                 -- the value of the IdP's agent claim (sub or client_id)
  permissions  jsonb NOT NULL,       -- {"tools":{"allow":[],"deny":[]},"models":{...},"workflows":{...}}
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX agents_tenant_subject ON agents (tenant_id, subject) WHERE subject IS NOT NULL;

-- Keys of the spine belonged to an agent name; keys now belong to agent records.
DROP TABLE api_keys;

CREATE TABLE api_keys (
  id           text PRIMARY KEY,     -- the public lookup id, part of the key
  agent_id     text NOT NULL REFERENCES agents (id),
  prefix       text NOT NULL,        -- what lists show, e.g. gk_live_3kq9x2
  secret_hash  bytea NOT NULL,       -- SHA-256 of the whole key
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_agent ON api_keys (agent_id);

CREATE TABLE admin_keys (
  id           text PRIMARY KEY,
  tenant_id    text REFERENCES tenants (id),   -- NULL: platform admin
  name         text NOT NULL,
  prefix       text NOT NULL,
  secret_hash  bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE identity_providers (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants (id),
  name                text NOT NULL,
  issuer              text NOT NULL UNIQUE,
  audience            text NOT NULL,
  jwks_url            text NOT NULL,
  algorithms          jsonb NOT NULL,
  agent_claim         text NOT NULL,
  clock_skew_seconds  integer NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE secrets (
  id          text PRIMARY KEY,
  tenant_id   text REFERENCES tenants (id),    -- NULL: global
  name        text NOT NULL,
  key_id      text NOT NULL,                   -- which master key encrypted it
  nonce       bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX secrets_scope_name ON secrets (COALESCE(tenant_id, ''), name);

ALTER TABLE tools ADD COLUMN tenant_id text REFERENCES tenants (id);   -- NULL: global

-- Tasks belong to an agent of a tenant. Rows of the spine (agent names) are kept as they were.
ALTER TABLE tasks RENAME COLUMN agent TO agent_id;
ALTER TABLE tasks ADD COLUMN tenant_id text;
DROP INDEX tasks_agent_created;
DROP INDEX tasks_agent_status_created;
CREATE INDEX tasks_agent_created ON tasks (agent_id, created_at DESC, id DESC);
CREATE INDEX tasks_agent_status_created ON tasks (agent_id, status, created_at DESC, id DESC);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  tenant_id   text,
  agent_id    text,
  actor       text,          -- who acted: an agent id, an admin key id, or the source address
  request_id  text,
  task_id     text,
  action      text NOT NULL, -- auth, tool.call, task.submit, admin.create, ...
  target      text,
  decision    text NOT NULL, -- allow | deny
  outcome     text NOT NULL, -- ok | error code
  latency_ms  integer,
  policy      text,
  detail      text
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC);

-- Append-only, whatever the caller: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
