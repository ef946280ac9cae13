-- Host affinity: a task's jobs run on the host that holds its worktree
-- while that host is alive (spec/queue.md).

-- The host a job must run on while that host is alive; NULL: any host.
ALTER TABLE jobs ADD COLUMN host text;

-- Worker hosts and when each last showed it is alive (every lease renewal).
CREATE TABLE worker_hosts (
  host    text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);

-- The host whose workspace holds the task's worktree.
ALTER TABLE tasks ADD COLUMN worktree_host text;
