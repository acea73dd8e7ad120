-- Upstream MCP servers, what Gatehouse discovered on them, their health, and virtual servers.

CREATE TABLE mcp_servers (
  name        text PRIMARY KEY,
  tenant_id   text REFERENCES tenants (id),   -- NULL: global
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The last discovery of each server: its tools, resources, resource templates and prompts, as the
-- server described them (MCP JSON), replaced whole on every successful refresh.
CREATE TABLE mcp_catalog (
  server  text NOT NULL REFERENCES mcp_servers (name) ON DELETE CASCADE,
  kind    text NOT NULL CHECK (kind IN ('tool', 'resource', 'resource_template', 'prompt')),
  name    text NOT NULL,                 -- tool/prompt name, resource URI, template URI
  body    jsonb NOT NULL,
  PRIMARY KEY (server, kind, name)
);

-- Health as the last discovery saw it. 'up' with refreshed_at, or 'down' with the error.
CREATE TABLE mcp_server_status (
  server        text PRIMARY KEY REFERENCES mcp_servers (name) ON DELETE CASCADE,
  state         text NOT NULL CHECK (state IN ('up', 'down')),
  error         text,
  server_info   jsonb,
  capabilities  jsonb,
  checked_at    timestamptz NOT NULL DEFAULT now(),
  refreshed_at  timestamptz                -- last successful discovery
);

-- A named selection of tools (HTTP and MCP, by pattern) exposed as /mcp/{name}.
CREATE TABLE virtual_servers (
  name        text PRIMARY KEY,
  tenant_id   text REFERENCES tenants (id),   -- NULL: global
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
