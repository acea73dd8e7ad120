-- A version of every record the admin API reads and writes one at a time, for its ETag and
-- If-Match (optimistic concurrency: a PUT or DELETE made on a stale read is refused with 412).
--
-- Not updated_at: tenants have none, api_keys and admin_keys neither, a write within the same
-- microsecond as another would leave it unchanged, and a clock set back would repeat one.
-- Not policies.version either: that one counts changes of the definition only, for decisions to
-- name (name@version), and is a different thing.
--
-- row_version is drawn from one sequence, when the row is inserted and by a trigger on every
-- UPDATE of it, whatever wrote it (the admin API, the registry file, key rotation, a revoke), so
-- no statement can forget to. Drawn, not counted from 1: a record deleted and created again under
-- its name must not take a version its old self had, or a stale If-Match would match the new
-- record. An upsert that changes nothing (ON CONFLICT ... DO UPDATE ... WHERE false) updates no
-- row and keeps it. A value the statement sets is overwritten: only the sequence moves it.

CREATE SEQUENCE row_versions;

CREATE FUNCTION gatehouse_bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.row_version := nextval('row_versions');
  RETURN NEW;
END;
$$;

ALTER TABLE tenants ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE agents ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE api_keys ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE admin_keys ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE identity_providers ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE secrets ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE tools ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE mcp_servers ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE virtual_servers ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE providers ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE models ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');
ALTER TABLE policies ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('row_versions');

CREATE TRIGGER tenants_row_version BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER agents_row_version BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER api_keys_row_version BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER admin_keys_row_version BEFORE UPDATE ON admin_keys FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER identity_providers_row_version BEFORE UPDATE ON identity_providers FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER secrets_row_version BEFORE UPDATE ON secrets FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER tools_row_version BEFORE UPDATE ON tools FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER mcp_servers_row_version BEFORE UPDATE ON mcp_servers FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER virtual_servers_row_version BEFORE UPDATE ON virtual_servers FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER providers_row_version BEFORE UPDATE ON providers FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER models_row_version BEFORE UPDATE ON models FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
CREATE TRIGGER policies_row_version BEFORE UPDATE ON policies FOR EACH ROW EXECUTE FUNCTION gatehouse_bump_row_version();
