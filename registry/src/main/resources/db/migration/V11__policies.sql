-- Policies as data (rate limits, budgets, PII, guardrails): registry entries like tools and models,
-- tenant-owned or global, stored whole as JSONB under their unique name. version goes up by one
-- with every change to the definition, so a decision can name the policy as it was (name@version).
CREATE TABLE policies (
  name        text PRIMARY KEY,
  tenant_id   text REFERENCES tenants (id),   -- NULL: global (every tenant's calls)
  kind        text NOT NULL,
  definition  jsonb NOT NULL,                  -- the entry as checked, without its version
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX policies_tenant ON policies (tenant_id);
