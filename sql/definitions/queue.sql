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

-- How many jobs of queue p_queue are waiting to be claimed, counting no further than p_cap: what
-- an autoscaler needs (KEDA's postgresql trigger, deploy/kubernetes) to size a worker role, since
-- it never runs more than max-replicas × jobs-per-replica. An index-only range of the claim index
-- (jobs_claim), so it stays cheap with a million jobs queued. SECURITY DEFINER: the role KEDA
-- connects as (switchboard_reporting) reads the counts, not the jobs.
CREATE OR REPLACE FUNCTION queue_available(p_queue text, p_cap integer DEFAULT 1000) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER AS $$
    -- In the claim's order, so that the plan reads the claim index whatever the queue's share of jobs.
    SELECT count(*) FROM (SELECT 1 FROM jobs WHERE queue = p_queue AND state = 'available'
                           ORDER BY priority, run_at, id LIMIT greatest(p_cap, 0)) AS waiting
$$;

-- A SECURITY DEFINER function must not look names up in a search path the caller controls.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION queue_available(text, integer) SET search_path = %I, pg_temp', current_schema());
END $$;
