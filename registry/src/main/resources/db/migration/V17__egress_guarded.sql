-- Who wrote a record that names a URL Gatehouse calls: true when a tenant admin did (through the
-- admin API), so Gatehouse's connections for it may not reach an internal address (loopback,
-- link-local, unspecified, multicast) whatever its host resolves to when called. A platform
-- admin's write, the registry file's and the CLI's leave it false. Rows written before stay false:
-- they passed the check made when they were written.
ALTER TABLE tools ADD COLUMN egress_guarded boolean NOT NULL DEFAULT false;
ALTER TABLE mcp_servers ADD COLUMN egress_guarded boolean NOT NULL DEFAULT false;
ALTER TABLE providers ADD COLUMN egress_guarded boolean NOT NULL DEFAULT false;
ALTER TABLE identity_providers ADD COLUMN egress_guarded boolean NOT NULL DEFAULT false;
