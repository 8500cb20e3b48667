-- The job queue: jobs, the workers that run them, paused queues, periodic (cron) schedules,
-- the leader lease and per-minute completion counts. See docs/queue.md.

CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue         text        NOT NULL DEFAULT 'default',
    kind          text        NOT NULL,
    args          jsonb       NOT NULL DEFAULT '{}',
    metadata      jsonb       NOT NULL DEFAULT '{}',
    -- scheduled: waits for run_at (new delayed jobs, retries, snoozes); available: may be claimed now.
    state         text        NOT NULL DEFAULT 'available',
    priority      smallint    NOT NULL DEFAULT 0,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempt       integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL DEFAULT 25,
    unique_key    text,
    locked_by     bigint,
    locked_until  timestamptz,
    cancel_requested_at timestamptz,
    errors        jsonb       NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    finished_at   timestamptz,
    CONSTRAINT jobs_state_valid CHECK (state IN ('scheduled', 'available', 'running', 'completed', 'dead', 'cancelled')),
    CONSTRAINT jobs_queue_not_blank CHECK (queue <> '' AND length(queue) <= 100),
    CONSTRAINT jobs_kind_not_blank CHECK (kind <> '' AND length(kind) <= 200),
    CONSTRAINT jobs_max_attempts_positive CHECK (max_attempts >= 1),
    CONSTRAINT jobs_running_has_lease CHECK (state <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);

-- The claim reads this index in exactly its order: priority, then run_at, then id.
CREATE INDEX jobs_claim ON jobs (queue, priority, run_at, id) WHERE state = 'available';
-- Promotion of due scheduled jobs (leader).
CREATE INDEX jobs_scheduled ON jobs (run_at) WHERE state = 'scheduled';
-- Lease rescue and heartbeats. Deliberately not keyed by locked_by: an index that finds one
-- worker's running rows tempts the planner into scanning them all for every batched completion,
-- where the primary key finds exactly the finished ids.
CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'running';
-- Retention of finished jobs kept for a while (completed, dead, cancelled).
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'dead', 'cancelled');
-- A unique key holds while a job with it is pending or running.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running');

-- Rows churn constantly (insert, update, delete): vacuum early and without throttling so dead
-- tuples never pile up in front of the claim index. Leave room on pages for updates.
ALTER TABLE jobs SET (
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_insert_threshold = 10000,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_cost_delay = 0
);

-- Wakes workers: one NOTIFY per queue per statement, payload the queue name only. PostgreSQL
-- folds identical notifications in one transaction, so a batch insert costs one.
CREATE FUNCTION jobs_notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_jobs', q.queue)
       FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_notify_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_inserted();

-- One row per running worker process; the leader removes rows whose heartbeat stopped.
CREATE TABLE job_workers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host          text        NOT NULL,
    pid           integer     NOT NULL,
    queues        jsonb       NOT NULL DEFAULT '{}',
    in_flight     integer     NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- Queues listed here are not claimed from until resumed.
CREATE TABLE job_queue_pauses (
    queue      text PRIMARY KEY,
    paused_at  timestamptz NOT NULL DEFAULT now()
);

-- The single leader: whoever holds an unexpired lease on this row.
CREATE TABLE job_leader (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    worker_id   bigint,
    elected_at  timestamptz,
    expires_at  timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO job_leader DEFAULT VALUES;

-- Periodic jobs. The leader enqueues each tick once: it advances last_tick and inserts the job in
-- one transaction, so a tick is never enqueued twice whoever is leader.
CREATE TABLE job_schedules (
    name          text PRIMARY KEY,
    cron          text        NOT NULL,
    queue         text        NOT NULL DEFAULT 'default',
    kind          text        NOT NULL,
    args          jsonb       NOT NULL DEFAULT '{}',
    priority      smallint    NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL DEFAULT 25 CHECK (max_attempts >= 1),
    enabled       boolean     NOT NULL DEFAULT true,
    last_tick     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_schedules_cron_shape CHECK (array_length(regexp_split_to_array(btrim(cron), '\s+'), 1) IN (5, 6))
);

-- Completions and failures per 10-second bucket, queue and worker (a row per writer avoids
-- contention). The leader prunes buckets older than an hour.
CREATE TABLE job_throughput (
    bucket     timestamptz NOT NULL,
    queue      text        NOT NULL,
    worker_id  bigint      NOT NULL,
    completed  bigint      NOT NULL DEFAULT 0,
    failed     bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, queue, worker_id)
);
