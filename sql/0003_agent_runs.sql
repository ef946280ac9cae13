-- Agent runs and their transcripts: one row per turn of a coding-agent CLI,
-- and every unified event it produced, in order (spec/agents.md).
CREATE TABLE agent_runs (
  id                  bigserial PRIMARY KEY,
  task_id             bigint,  -- the workflow task, when the run belongs to one
  role                text NOT NULL DEFAULT '',
  harness             text NOT NULL CHECK (harness IN ('claude', 'codex', 'opencode')),
  model               text NOT NULL,
  effort              text NOT NULL DEFAULT '',
  session_id          text,
  status              text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'succeeded', 'agent_error', 'timed_out', 'cancelled', 'crashed')),
  message             text NOT NULL DEFAULT '',
  exit_code           integer,
  stderr_tail         text NOT NULL DEFAULT '',
  input_tokens        bigint NOT NULL DEFAULT 0,
  cached_input_tokens bigint NOT NULL DEFAULT 0,
  cache_write_tokens  bigint NOT NULL DEFAULT 0,
  output_tokens       bigint NOT NULL DEFAULT 0,
  reasoning_tokens    bigint NOT NULL DEFAULT 0,
  cost_usd            numeric(14, 6),  -- NULL: unknown (no price for the model)
  started_at          timestamptz NOT NULL,
  ended_at            timestamptz
);
CREATE INDEX agent_runs_task_idx ON agent_runs (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX agent_runs_session_idx ON agent_runs (harness, session_id) WHERE session_id IS NOT NULL;

CREATE TABLE agent_events (
  run_id     bigint NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
  seq        integer NOT NULL,
  kind       text NOT NULL
             CHECK (kind IN ('user', 'assistant', 'thinking', 'tool_use', 'tool_result', 'system', 'result', 'error')),
  data       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);
