-- Evidence files a review (or solo) agent saved under
-- $BOTTEGA_RUN_DIR/evidence/ (screenshots, recordings, HTTP transcripts),
-- kept with its run after the run directory is gone, size-capped by the
-- engine (spec/workflow.md, "QA evidence"). The task page serves them; the
-- pull request's body links them.
CREATE TABLE run_evidence (
  run_id     bigint NOT NULL REFERENCES agent_runs (id) ON DELETE CASCADE,
  name       text NOT NULL,
  content    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, name)
);
