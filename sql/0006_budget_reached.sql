-- A turn the model gateway stopped when the task's budget was spent
-- (spec/agents.md, "Network") is recorded as such.
ALTER TABLE agent_runs DROP CONSTRAINT agent_runs_status_check;
ALTER TABLE agent_runs ADD CONSTRAINT agent_runs_status_check
  CHECK (status IN ('running', 'succeeded', 'agent_error', 'timed_out', 'cancelled', 'crashed',
                    'budget_reached'));
