-- Live reactions: agents going on or offline, and admin changes announced to routing workers.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- An agent going offline leaves their live conversations on the channels of
-- routing_settings.reassign_on_offline, which are routed again; one coming online hears of
-- what waits. Both through the agents table, so a plain UPDATE by an admin works too.
CREATE OR REPLACE FUNCTION agents_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_moved    bigint[];
    v_channels text[] := (SELECT reassign_on_offline FROM routing_settings);
BEGIN
    IF NEW.status = 'offline' THEN
        WITH moved AS (
            UPDATE conversations c SET agent_id = NULL, last_agent_id = OLD.id, assigned_at = NULL, updated_at = now()
             WHERE c.agent_id = OLD.id AND c.status IN ('open', 'pending')
               AND c.channel = ANY (v_channels)
            RETURNING c.id, c.status, c.customer_id)
        SELECT array_agg(id) FILTER (WHERE status = 'open') INTO v_moved FROM moved;
        INSERT INTO audit_events (kind, actor_kind, actor_id, conversation_id, detail)
        SELECT 'conversation_unassigned', 'agent', OLD.id, x, jsonb_build_object('reason', 'agent went offline')
          FROM unnest(v_moved) x;
        IF v_moved IS NOT NULL THEN
            PERFORM request_route(VARIADIC v_moved);
        END IF;
    ELSIF NEW.status = 'online' THEN
        PERFORM pg_notify('switchboard_routing', 'agent:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER agents_status_change AFTER UPDATE OF status ON agents
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION agents_status_changed();

-- Any change to what routing reads is announced: 'rules' re-routes waiting conversations,
-- 'agents' re-offers them.
CREATE OR REPLACE FUNCTION notify_routing_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_routing', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('rules');

CREATE OR REPLACE TRIGGER routing_settings_changed AFTER INSERT OR UPDATE OR DELETE ON routing_settings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('rules');

-- Not on the round robin counters routing updates with every assignment.
CREATE OR REPLACE TRIGGER team_members_changed AFTER INSERT OR DELETE OR UPDATE OF team_id, agent_id ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');

CREATE OR REPLACE TRIGGER agent_skills_changed AFTER INSERT OR UPDATE OR DELETE ON agent_skills
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');

-- Not on every counter change: only when an admin edits the row.
CREATE OR REPLACE TRIGGER agent_capacity_changed AFTER INSERT OR DELETE OR UPDATE OF max_open ON agent_capacity
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');
