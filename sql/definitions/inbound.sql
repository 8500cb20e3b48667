-- What integrations write: inbound rows and order events become ingest jobs; rejecting and
-- retrying an inbound row. See docs/integrations.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- One ingest job per inserted row, in the inserting transaction: job kind TG_ARGV[0], with the
-- row's id under the argument name TG_ARGV[1]. SECURITY DEFINER because the integration role may
-- insert into these tables but not into jobs.
CREATE OR REPLACE FUNCTION enqueue_ingest_jobs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobs (queue, kind, args, max_attempts)
    SELECT 'ingest', TG_ARGV[0], jsonb_build_object(TG_ARGV[1], id), 10 FROM inserted ORDER BY id;
    RETURN NULL;
END $$;

-- A SECURITY DEFINER function must not look names up in a search path the caller controls.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION enqueue_ingest_jobs() SET search_path = %I, pg_temp', current_schema());
END $$;

CREATE OR REPLACE TRIGGER inbound_messages_enqueue AFTER INSERT ON inbound_messages
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_ingest_jobs('ingest', 'inbound_id');

CREATE OR REPLACE TRIGGER order_events_enqueue AFTER INSERT ON order_events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_ingest_jobs('order_event', 'order_event_id');

-- ---------------------------------------------------------------------------------------------
-- Functions the ingest worker calls.
CREATE OR REPLACE FUNCTION reject_inbound(p_inbound_id bigint, p_code text, p_reason text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE inbound_messages
       SET status = 'rejected', reject_code = p_code, reject_reason = p_reason, processed_at = clock_timestamp()
     WHERE id = p_inbound_id AND status = 'received';
END $$;

-- Processes an inbound row again (after a rule or settings fix, say): a rejected row, or one
-- whose ingest job died. Rows that became messages are refused, since that would duplicate them.
CREATE OR REPLACE FUNCTION retry_inbound(p_inbound_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT status INTO v_status FROM inbound_messages WHERE id = p_inbound_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inbound message % does not exist', p_inbound_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_status NOT IN ('rejected', 'received') THEN
        RAISE EXCEPTION 'inbound message % is %; only rejected or unprocessed messages can be retried', p_inbound_id, v_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE inbound_messages SET status = 'received', reject_code = NULL, reject_reason = NULL, processed_at = NULL
     WHERE id = p_inbound_id;
    INSERT INTO jobs (queue, kind, args, max_attempts, unique_key)
    VALUES ('ingest', 'ingest', jsonb_build_object('inbound_id', p_inbound_id), 10, 'ingest:' || p_inbound_id)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING;
    INSERT INTO audit_events (kind, actor_kind, detail)
    VALUES ('inbound_retried', 'admin', jsonb_build_object('inbound_id', p_inbound_id, 'was', v_status));
    RETURN p_inbound_id;
END $$;
