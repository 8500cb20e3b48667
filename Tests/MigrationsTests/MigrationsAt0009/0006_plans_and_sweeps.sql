-- Plans that stay right as the tables grow, and a routing sweep that stays short.
--
-- PL/pgSQL keeps the plan of each statement for the life of the session. A plan made while a
-- table was still small (a new deployment, a bench's fresh schema) goes on scanning the whole
-- table after it has grown, until autovacuum next analyzes it: measured (pg_stat_statements,
-- auto_explain), ingest_batch's updates of customers took 6 ms a batch instead of 0.2, its
-- request_route call 16 ms instead of 0.9, and resolve_customer's lookup 4.4 ms instead of 0.1.

-- Every statement of ingest_batch joins its work table to rows found by key; no statement
-- needs to read a whole table of the schema.
ALTER FUNCTION ingest_batch(bigint[], jsonb[], boolean) SET enable_seqscan = off;

-- resolve_customer runs once per new or changed customer (ingest's slow path, order events):
-- planning its few statements anew each call costs less than one stale plan.
ALTER FUNCTION resolve_customer(bigint, jsonb) SET plan_cache_mode = force_custom_plan;

-- offer_waiting's queue lookup, likewise: it must stay on the waiting-conversations index.
ALTER FUNCTION offer_waiting(bigint) SET enable_seqscan = off;

-- The sweep behind the routing notifications (every routing process, every --routing-sweep
-- seconds). Measured with 4 processes and 200 agents, the version of 0005 took 2.8 s a call: it
-- asked every online agent with room, one by one, even with nothing waiting, in one long
-- transaction that held back the cleanup of the job queue's dead rows, so every claim slowed
-- down. Now it asks only online agents with room on the channel of something waiting in their
-- team, and one process sweeps at a time (another sweeping right now would find the same
-- conversations).
CREATE OR REPLACE FUNCTION offer_waiting_all() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_agent bigint;
    v_given integer := 0;
BEGIN
    -- Advisory locks are per database: the schema in the key keeps deployments that share one apart.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('switchboard.offer_waiting_all:' || current_schema(), 0)) THEN
        RETURN 0;
    END IF;
    -- From what waits to who could take it, so the cost follows the queue, not the staff.
    FOR v_agent IN WITH waiting AS (
                       SELECT DISTINCT w.team_id, w.channel FROM conversations w
                        WHERE w.status = 'open' AND w.agent_id IS NULL AND w.team_id IS NOT NULL)
                   SELECT DISTINCT tm.agent_id
                     FROM waiting w
                     JOIN team_members tm ON tm.team_id = w.team_id
                     JOIN agents a ON a.id = tm.agent_id AND a.status = 'online'
                     JOIN agent_capacity c ON c.agent_id = tm.agent_id AND c.channel = w.channel AND c.live < c.max_open
                    ORDER BY tm.agent_id LOOP
        v_given := v_given + offer_waiting(v_agent);
    END LOOP;
    RETURN v_given;
END $$;
ALTER FUNCTION offer_waiting_all() SET enable_seqscan = off;
