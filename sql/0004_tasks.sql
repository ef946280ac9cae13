-- Workflow tasks (spec/workflow.md): one per issue, its state as the pure
-- workflow sees it (a JSON document), plus what the executor keeps about
-- GitHub (comment ids, the label it set) and effects still to perform.

CREATE TABLE tasks (
  id                bigserial PRIMARY KEY,
  installation_id   bigint NOT NULL,
  repo              text NOT NULL,            -- owner/name
  issue             integer NOT NULL,
  base_branch       text NOT NULL DEFAULT 'main',
  phase             text NOT NULL,            -- copy of state.phase, for queries
  state             jsonb NOT NULL,           -- the workflow Task
  pr_number         integer,
  plan_comment_id   bigint,
  status_comment_id bigint,
  applied_label     text NOT NULL DEFAULT '', -- the phase label the issue carries
  -- GitHub effects decided but not yet done (reactions, replies, comment
  -- and label syncs), done after the decision commits and retried until
  -- they succeed.
  outbox            jsonb NOT NULL DEFAULT '[]',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (repo, issue)
);
CREATE INDEX tasks_pr ON tasks (repo, pr_number) WHERE pr_number IS NOT NULL;

-- Deliveries already applied to a task: a job retried after a crash does
-- not apply its event twice.
CREATE TABLE task_deliveries (
  delivery_id text PRIMARY KEY,
  task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  applied_at  timestamptz NOT NULL DEFAULT now()
);
