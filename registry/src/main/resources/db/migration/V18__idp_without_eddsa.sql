-- EdDSA is no longer an algorithm an identity provider may list: the JOSE library verifies it only
-- with Google Tink, which Gatehouse does not ship, so no EdDSA token ever verified. Providers stored
-- with it among others (the old default list had it) lose it, so that their export applies again.
-- A provider that listed EdDSA alone keeps it: its tokens never verified, and its export is refused
-- with a message that names the field.
UPDATE identity_providers
SET algorithms = (SELECT jsonb_agg(t.a ORDER BY t.i) FROM jsonb_array_elements_text(algorithms) WITH ORDINALITY AS t(a, i) WHERE t.a <> 'EdDSA')
WHERE algorithms ? 'EdDSA' AND jsonb_array_length(algorithms) > 1;
