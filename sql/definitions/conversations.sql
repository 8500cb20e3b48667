-- Conversations' assignment bookkeeping: capacity counts, and SLA clocks.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Keeps agent_capacity.live equal to the agent's live conversations per channel and refuses an
-- assignment beyond max_open, whoever makes it (routing, a transfer, an admin's UPDATE).
-- A reopened conversation leaves its agent for routing to decide again (last_agent_id keeps
-- them, and routing prefers them while they are eligible): a conversation never lands on an
-- agent who went offline or is full meanwhile.
CREATE OR REPLACE FUNCTION conversations_track_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_was_live boolean := false;
    v_is_live  boolean;
    v_taken    integer;
    v_capacity agent_capacity;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        v_was_live := OLD.agent_id IS NOT NULL AND OLD.status IN ('open', 'pending');
        IF OLD.status IN ('resolved', 'closed') AND NEW.status IN ('open', 'pending')
           AND NEW.agent_id IS NOT DISTINCT FROM OLD.agent_id AND NEW.agent_id IS NOT NULL THEN
            NEW.last_agent_id := NEW.agent_id;
            NEW.agent_id := NULL;
            NEW.assigned_at := NULL;
        END IF;
        IF NEW.status IN ('open', 'pending') AND OLD.status IN ('resolved', 'closed') THEN
            NEW.resolution_due_at := NULL;
            NEW.resolution_breached_at := NULL;
        END IF;
    END IF;
    v_is_live := NEW.agent_id IS NOT NULL AND NEW.status IN ('open', 'pending');
    IF v_was_live AND (NOT v_is_live OR OLD.agent_id <> NEW.agent_id OR OLD.channel <> NEW.channel) THEN
        UPDATE agent_capacity SET live = greatest(live - 1, 0) WHERE agent_id = OLD.agent_id AND channel = OLD.channel;
        -- Freed capacity: a routing worker offers the agent what waits.
        PERFORM pg_notify('switchboard_routing', 'agent:' || OLD.agent_id);
    END IF;
    IF v_is_live AND (NOT v_was_live OR OLD.agent_id <> NEW.agent_id OR OLD.channel <> NEW.channel) THEN
        UPDATE agent_capacity SET live = live + 1, last_assigned_at = now()
         WHERE agent_id = NEW.agent_id AND channel = NEW.channel AND live < max_open;
        GET DIAGNOSTICS v_taken = ROW_COUNT;
        IF v_taken = 0 THEN
            SELECT * INTO v_capacity FROM agent_capacity WHERE agent_id = NEW.agent_id AND channel = NEW.channel;
            RAISE EXCEPTION 'agent % is at capacity on % (% of % live conversations)', NEW.agent_id, NEW.channel,
                coalesce(v_capacity.live, 0), coalesce(v_capacity.max_open, 0)
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agent_capacity_max_open',
                      HINT = 'Raise agent_capacity.max_open, or resolve or transfer one of the agent''s conversations first.';
        END IF;
        NEW.assigned_at := coalesce(NEW.assigned_at, now());
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER conversations_assignment_insert BEFORE INSERT ON conversations
    FOR EACH ROW WHEN (NEW.agent_id IS NOT NULL) EXECUTE FUNCTION conversations_track_assignment();

-- Only when status, agent or channel change: ingest's updates of counters do not pay for it.
CREATE OR REPLACE TRIGGER conversations_assignment_update BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.agent_id IS DISTINCT FROM NEW.agent_id
                       OR OLD.channel IS DISTINCT FROM NEW.channel)
    EXECUTE FUNCTION conversations_track_assignment();

-- A customer's new message after an agent's reply starts the next-response clock.
CREATE OR REPLACE FUNCTION conversations_next_response_clock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_target interval;
BEGIN
    IF NEW.first_response_at IS NOT NULL AND NEW.next_response_due_at IS NULL AND NEW.sla_policy_id IS NOT NULL THEN
        SELECT t.next_response INTO v_target FROM sla_targets t
         WHERE t.policy_id = NEW.sla_policy_id AND t.priority = NEW.priority;
        IF v_target IS NOT NULL THEN
            NEW.next_response_due_at := business_time_add(
                (SELECT calendar_id FROM sla_policies WHERE id = NEW.sla_policy_id), NEW.last_customer_message_at, v_target);
            NEW.next_response_breached_at := NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER conversations_next_response BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.last_customer_message_at IS DISTINCT FROM NEW.last_customer_message_at
                       AND NEW.first_response_at IS NOT NULL)
    EXECUTE FUNCTION conversations_next_response_clock();
