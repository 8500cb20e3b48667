-- The job queue's trigger: waking workers when jobs are inserted. See docs/queue.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Wakes workers: one NOTIFY per queue per statement, payload the queue name only. PostgreSQL
-- folds identical notifications in one transaction, so a batch insert costs one.
CREATE OR REPLACE FUNCTION jobs_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_jobs', q.queue)
       FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER jobs_notify_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_inserted();
