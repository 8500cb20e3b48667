-- The agent desk's SQL API: status, replies, resolve, reopen, transfer. See docs/routing.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

CREATE OR REPLACE FUNCTION desk_conversation(p_conversation_id bigint) RETURNS conversations LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conversation %', coalesce(p_conversation_id::text, 'null') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_conv;
END $$;

CREATE OR REPLACE FUNCTION desk_agent(p_agent_id bigint) RETURNS agents LANGUAGE plpgsql AS $$
DECLARE
    v_agent agents;
BEGIN
    SELECT * INTO v_agent FROM agents WHERE id = p_agent_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no agent %', coalesce(p_agent_id::text, 'null') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_agent;
END $$;

-- Sets an agent's status (online, away, offline) and last seen time.
CREATE OR REPLACE FUNCTION set_agent_status(p_agent_id bigint, p_status text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM desk_agent(p_agent_id);
    IF p_status IS NULL OR p_status NOT IN ('online', 'away', 'offline') THEN
        RAISE EXCEPTION 'agent status must be online, away or offline; got %', coalesce(quote_literal(p_status), 'null')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE agents SET status = p_status, last_seen_at = now() WHERE id = p_agent_id;
END $$;

-- An agent's reply: the outbound message, the outbox row the notification worker sends, the
-- first response time. The conversation then waits on the customer (pending). An agent of the
-- conversation's team may answer an unassigned conversation, and so takes it.
CREATE OR REPLACE FUNCTION reply_to_conversation(p_conversation_id bigint, p_agent_id bigint, p_body text, p_subject text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_conv    conversations;
    v_agent   agents;
    v_locale  text;
    v_message bigint;
BEGIN
    v_conv := desk_conversation(p_conversation_id);
    v_agent := desk_agent(p_agent_id);
    IF p_body IS NULL OR btrim(p_body) = '' THEN
        RAISE EXCEPTION 'a reply needs a body' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.status = 'closed' THEN
        RAISE EXCEPTION 'conversation % is closed; a closed conversation takes no more messages', v_conv.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.agent_id IS DISTINCT FROM p_agent_id THEN
        IF v_conv.agent_id IS NOT NULL THEN
            RAISE EXCEPTION 'conversation % is assigned to agent %, not %; transfer it first', v_conv.id, v_conv.agent_id, p_agent_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM team_members WHERE team_id = v_conv.team_id AND agent_id = p_agent_id) THEN
            RAISE EXCEPTION 'agent % is not a member of the team of conversation %', p_agent_id, v_conv.id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    v_locale := coalesce(nullif(v_conv.language, 'unknown'),
                         (SELECT preferred_locale FROM customers WHERE id = v_conv.customer_id),
                         (SELECT default_locale FROM stores WHERE id = v_conv.store_id));
    INSERT INTO messages (store_id, conversation_id, direction, author_kind, agent_id, channel, subject, body_text, language)
    VALUES (v_conv.store_id, v_conv.id, 'outbound', 'agent', p_agent_id, v_conv.channel,
            coalesce(p_subject, v_conv.subject), p_body, v_locale)
    RETURNING id INTO v_message;
    INSERT INTO outbox (store_id, customer_id, conversation_id, message_id, kind, purpose, channel, locale, subject, body_text,
                        idempotency_key)
    VALUES (v_conv.store_id, v_conv.customer_id, v_conv.id, v_message, 'reply', 'reply', v_conv.channel, v_locale,
            coalesce(p_subject, v_conv.subject), p_body, 'reply:' || v_message);
    UPDATE conversations
       SET agent_id = p_agent_id,
           status = CASE WHEN status = 'resolved' THEN status ELSE 'pending' END,
           first_response_at = coalesce(first_response_at, now()),
           next_response_due_at = NULL, next_response_breached_at = NULL,
           message_count = message_count + 1, last_message_at = now(), updated_at = now()
     WHERE id = v_conv.id;
    RETURN v_message;
END $$;

-- Resolves a conversation: the agent's capacity is freed; a new message within the channel's
-- reopen window reopens it.
CREATE OR REPLACE FUNCTION resolve_conversation(p_conversation_id bigint, p_agent_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations := desk_conversation(p_conversation_id);
BEGIN
    IF p_agent_id IS NOT NULL THEN PERFORM desk_agent(p_agent_id); END IF;
    IF v_conv.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'conversation % is already %', v_conv.id, v_conv.status USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE conversations
       SET status = 'resolved', resolved_at = now(), next_response_due_at = NULL, updated_at = now()
     WHERE id = v_conv.id;
    INSERT INTO audit_events (kind, actor_kind, actor_id, customer_id, conversation_id)
    VALUES ('conversation_resolved', CASE WHEN p_agent_id IS NULL THEN 'system' ELSE 'agent' END, p_agent_id,
            v_conv.customer_id, v_conv.id);
END $$;

-- Reopens a resolved conversation and routes it again (to its agent while they are eligible).
CREATE OR REPLACE FUNCTION reopen_conversation(p_conversation_id bigint, p_reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations := desk_conversation(p_conversation_id);
BEGIN
    IF v_conv.status <> 'resolved' THEN
        RAISE EXCEPTION 'conversation % is %; only a resolved conversation can be reopened', v_conv.id, v_conv.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE conversations
       SET status = 'open', resolved_at = NULL, reopened_at = now(), reopen_count = reopen_count + 1, updated_at = now()
     WHERE id = v_conv.id;
    INSERT INTO audit_events (kind, customer_id, conversation_id, detail)
    VALUES ('conversation_reopened', v_conv.customer_id, v_conv.id, jsonb_build_object('by', 'desk', 'reason', p_reason));
    PERFORM request_route(v_conv.id);
END $$;

-- Transfers a conversation to a team (routing picks the agent within it) or straight to an
-- agent (who must be in the team, not offline, and have capacity).
CREATE OR REPLACE FUNCTION transfer_conversation(p_conversation_id bigint, p_team_id bigint DEFAULT NULL, p_agent_id bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_conv  conversations := desk_conversation(p_conversation_id);
    v_team  teams;
    v_agent agents;
    v_plan  routing_plan;
BEGIN
    IF p_team_id IS NULL AND p_agent_id IS NULL THEN
        RAISE EXCEPTION 'transfer_conversation needs a team, an agent or both' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'conversation % is %; reopen it before transferring', v_conv.id, v_conv.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_team_id, v_conv.team_id) IS NULL THEN
        RAISE EXCEPTION 'conversation % has no team yet; name the team to transfer it to', v_conv.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_team FROM teams WHERE id = coalesce(p_team_id, v_conv.team_id);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no team %', p_team_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_agent_id IS NOT NULL AND p_agent_id = v_conv.agent_id AND v_team.id = v_conv.team_id THEN
        RAISE EXCEPTION 'conversation % is already with agent % in that team', v_conv.id, p_agent_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_agent_id IS NOT NULL THEN
        v_agent := desk_agent(p_agent_id);
        IF NOT EXISTS (SELECT 1 FROM team_members WHERE team_id = v_team.id AND agent_id = p_agent_id) THEN
            RAISE EXCEPTION 'agent % (%) is not a member of team %', v_agent.id, v_agent.name, v_team.name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF v_agent.status = 'offline' THEN
            RAISE EXCEPTION 'agent % (%) is offline', v_agent.id, v_agent.name USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    UPDATE conversations
       SET team_id = v_team.id, team_pinned = true, agent_id = p_agent_id,
           routing_strategy = CASE WHEN p_team_id IS NULL THEN routing_strategy ELSE v_team.default_strategy END,
           last_agent_id = coalesce(agent_id, last_agent_id), updated_at = now()
     WHERE id = v_conv.id
    RETURNING * INTO v_conv;
    v_plan := routing_plan_of(v_conv);
    v_plan.rule_name := 'transfer';
    PERFORM routing_record(v_conv.id, v_plan, p_agent_id, 'transfer',
                           CASE WHEN p_agent_id IS NULL THEN 'transferred to team ' || v_team.name || '; routing picks the agent'
                                ELSE 'transferred to agent ' || v_agent.name END, NULL);
    IF p_agent_id IS NULL AND v_conv.status = 'open' THEN
        PERFORM request_route(v_conv.id);
    END IF;
END $$;
