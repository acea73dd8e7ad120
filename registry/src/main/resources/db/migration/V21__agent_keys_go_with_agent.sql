-- An agent's keys are deleted with it, in the statement that deletes it. The delete removed the
-- keys it saw first, so a key created at that moment (its insert committed after the delete's
-- snapshot) made the database refuse the agent's delete (a foreign key still in use): an admin's
-- DELETE of the agent failed with 409 while keys were being created for it. With the cascade the
-- delete takes every key, whenever committed; an insert racing it waits for it, then finds no agent.
ALTER TABLE api_keys
  DROP CONSTRAINT api_keys_agent_id_fkey,
  ADD CONSTRAINT api_keys_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE;
