-- A write that changes nothing of a record keeps the record as it was: its row_version (so its
-- ETag) and its updated_at. An identical PUT of an agent, a tenant or an identity provider (their
-- statements update in place) took a new version, so a provisioning tool that applies the same
-- definitions on every run made every client that had read them meet 412 on its next write, and
-- the records' updated_at said they had changed. Compared as JSON without row_version and
-- updated_at; a secret's PUT re-encrypts its value (a new nonce), so it is a change even with the
-- same value, which Gatehouse cannot tell without decrypting. The upserts that keep an unchanged
-- row by their own WHERE (V20) are as they were.

CREATE OR REPLACE FUNCTION gatehouse_bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - 'row_version' - 'updated_at') = (to_jsonb(OLD) - 'row_version' - 'updated_at') THEN
    RETURN OLD;
  END IF;
  NEW.row_version := nextval('row_versions');
  RETURN NEW;
END;
$$;
