-- Model providers (an OpenAI- or Anthropic-compatible endpoint and how to authenticate to it) and
-- models (an alias agents use, routed to provider models), tenant-owned or global like tools.
-- Definitions are stored whole as JSONB; credentials in them are {{secret:NAME}} references only.

CREATE TABLE providers (
  name        text PRIMARY KEY,
  tenant_id   text REFERENCES tenants (id),   -- NULL: global
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE models (
  name        text PRIMARY KEY,               -- the alias agents use
  tenant_id   text REFERENCES tenants (id),   -- NULL: global
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
