-- Webhook deliveries, exactly once by GitHub's delivery id, and the durable
-- job queue they feed.

CREATE TABLE deliveries (
  delivery_id     text PRIMARY KEY,          -- X-GitHub-Delivery
  event           text NOT NULL,             -- X-GitHub-Event
  action          text NOT NULL DEFAULT '',
  installation_id bigint NOT NULL DEFAULT 0, -- 0: the payload names none
  repository      text NOT NULL DEFAULT '',  -- owner/name
  sender          text NOT NULL DEFAULT '',  -- login
  outcome         text NOT NULL CHECK (outcome IN ('accepted', 'ignored', 'rejected')),
  reason          text NOT NULL DEFAULT '',  -- why ignored or rejected
  body            bytea COMPRESSION lz4 NOT NULL, -- the raw payload, for replay (lz4: cheap to write)
  received_at     timestamptz NOT NULL DEFAULT now()
)
-- A typical payload (under 8 KB) is stored inline and uncompressed: the
-- intake path spends no CPU compressing it; larger ones are compressed.
WITH (toast_tuple_target = 8160);

CREATE TABLE jobs (
  id               bigserial PRIMARY KEY,
  kind             text NOT NULL,
  task_key         text,                      -- at most one running job per key
  installation_id  bigint NOT NULL DEFAULT 0, -- for caps and fair rotation
  payload          text NOT NULL DEFAULT '{}',
  delivery_id      text,                      -- the delivery that caused it (no foreign key: intake inserts stay cheap)
  state            text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 8,
  run_at           timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  lease_expires_at timestamptz,
  last_error       text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);
CREATE INDEX jobs_ready ON jobs (installation_id, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (installation_id) WHERE state = 'running';
-- The database itself guarantees one running job per task.
CREATE UNIQUE INDEX jobs_one_running_per_task ON jobs (task_key)
  WHERE state = 'running' AND task_key IS NOT NULL;

-- When each installation was last served, for fair rotation.
CREATE TABLE queue_turns (
  installation_id bigint PRIMARY KEY,
  last_claimed_at timestamptz NOT NULL
);

-- Redeliveries the reconciler asked GitHub for, so it asks once per guid.
CREATE TABLE redelivery_requests (
  guid         text PRIMARY KEY,
  github_id    bigint NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now()
);
