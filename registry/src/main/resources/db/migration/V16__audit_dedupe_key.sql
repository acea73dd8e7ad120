-- Audit rows a task's workflow writes itself (an approval asked, expired or cancelled) come from a
-- local activity, which the engine runs again when it retries the workflow task that ran it: the
-- row could appear twice. Such rows now carry a key (the run, the action and the call), unique in
-- the log, and a row whose key is there already is not written again. Every other row has none.
ALTER TABLE audit_log ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX audit_log_dedupe_key ON audit_log (dedupe_key) WHERE dedupe_key IS NOT NULL;
