-- Installations GitHub suspended (spec/intake.md, "The App's access"):
-- while one is here, no event of its repositories starts or changes a task.
CREATE TABLE suspended_installations (
  installation_id bigint PRIMARY KEY,
  suspended_at    timestamptz NOT NULL DEFAULT now()
);
