-- Which worker process finished (or last failed) a job: host:pid, for operators and the multi-worker test.
ALTER TABLE jobs ADD COLUMN finished_by text;
