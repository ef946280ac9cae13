-- The App's own `bottega` check run on a task PR's head (spec/shepherd.md,
-- "The bottega check"), kept so that it is updated by its id instead of
-- being looked for on every sync: check_run_id > 0 is the run on
-- check_run_head and check_run_said what it last said; 0: none made on
-- that head; -1: one may have been made (a creation whose answer was
-- lost): it is looked for. Tasks that already had a PR look for theirs
-- once ('*': on whatever head).
ALTER TABLE tasks
  ADD COLUMN check_run_id   bigint NOT NULL DEFAULT 0,
  ADD COLUMN check_run_head text NOT NULL DEFAULT '',
  ADD COLUMN check_run_said text NOT NULL DEFAULT '';
UPDATE tasks SET check_run_id = -1, check_run_head = '*' WHERE pr_number IS NOT NULL;
