-- Routing in batches: one transaction, one read of the teams' members, skills and capacity, and
-- one write per table serve many decisions. route_conversation (0005) stays the way to route a
-- single conversation and the fallback of a batch; both decide the same way (docs/routing.md,
-- "Batches").

-- agent_capacity's channel check, without the SQL function: a CHECK calling a function is
-- prepared again by every statement that writes the table, and the capacity trigger writes
-- it on every assignment (~40 µs each). Keep the list in step with routing_channels().
ALTER TABLE agent_capacity
    DROP CONSTRAINT agent_capacity_channel_known,
    ADD CONSTRAINT agent_capacity_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone'));

-- Each agent's skills as arrays, kept from agent_skills by a trigger: a batch reads its teams'
-- skills from here in one pass instead of aggregating agent_skills on every batch. Derived
-- data; edit agent_skills.
CREATE TABLE agent_skill_sets (
    agent_id         bigint     PRIMARY KEY REFERENCES agents ON DELETE CASCADE,
    languages        text[]     NOT NULL DEFAULT '{}',
    language_levels  smallint[] NOT NULL DEFAULT '{}',
    categories       text[]     NOT NULL DEFAULT '{}',
    category_levels  smallint[] NOT NULL DEFAULT '{}'
);

CREATE FUNCTION agent_skill_sets_refresh(p_agent_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM agent_skill_sets WHERE agent_id = ANY (p_agent_ids);
    INSERT INTO agent_skill_sets (agent_id, languages, language_levels, categories, category_levels)
    SELECT k.agent_id,
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}')
      FROM agent_skills k
     WHERE k.agent_id = ANY (p_agent_ids) AND EXISTS (SELECT 1 FROM agents a WHERE a.id = k.agent_id)
     GROUP BY k.agent_id;
$$;

CREATE FUNCTION agent_skills_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM old_rows));
    ELSE
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT agent_id FROM new_rows UNION SELECT agent_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER agent_skills_sync_insert AFTER INSERT ON agent_skills
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();
CREATE TRIGGER agent_skills_sync_update AFTER UPDATE ON agent_skills
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();
CREATE TRIGGER agent_skills_sync_delete AFTER DELETE ON agent_skills
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();

SELECT agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM agent_skills));

-- A team member as a batch sees them. The batch's capacity arrays are a grid of its agents ×
-- its channels: the agent's capacity on the batch's k-th channel is at slot_base + k.
CREATE TYPE routing_member AS (
    team_id          bigint,
    agent_id         bigint,
    agent            text,
    status           text,
    turns            bigint,
    languages        text[],
    language_levels  smallint[],
    categories       text[],
    category_levels  smallint[],
    slot_base        integer
);

-- Logs decisions (every decision goes through here, routing_record included) and, for
-- assignments when asked to, tells the agents' desks. Returns the logged rows; the ids and
-- decided_at of p_decisions are ignored.
CREATE FUNCTION routing_log(p_decisions routing_decisions[]) RETURNS SETOF routing_decisions LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT notify_desk FROM routing_settings) THEN
        PERFORM pg_notify('switchboard_desk', json_build_object('agent_id', d.agent_id, 'conversation_id', d.conversation_id)::text)
           FROM unnest(p_decisions) d WHERE d.agent_id IS NOT NULL;
    END IF;
    RETURN QUERY
    INSERT INTO routing_decisions (conversation_id, cause, rule_id, rule_name, team_id, strategy, priority, outcome,
                                   agent_id, reason, candidate_ids, candidate_notes, candidate_live, candidate_max_open)
    SELECT d.conversation_id, d.cause, d.rule_id, d.rule_name, d.team_id, d.strategy, d.priority, d.outcome,
           d.agent_id, d.reason, d.candidate_ids, d.candidate_notes, d.candidate_live, d.candidate_max_open
      FROM unnest(p_decisions) d
    RETURNING *;
END $$;

-- One decision as a routing_decisions row (not yet logged).
CREATE FUNCTION routing_decision(p_conversation_id bigint, p_plan routing_plan, p_agent_id bigint, p_cause text,
                                 p_reason text, p_candidates routing_candidate_list) RETURNS routing_decisions
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(NULL, p_conversation_id, NULL, p_cause, p_plan.rule_id, p_plan.rule_name, p_plan.team_id, p_plan.strategy,
               p_plan.priority, CASE WHEN p_agent_id IS NULL THEN 'queued' ELSE 'assigned' END, p_agent_id, p_reason,
               coalesce(p_candidates.ids, '{}'), coalesce(p_candidates.notes, '{}'),
               coalesce(p_candidates.live, '{}'), coalesce(p_candidates.max_open, '{}'))::routing_decisions
$$;

-- routing_record (0005) logs through routing_log now, so that one function logs every decision.
CREATE OR REPLACE FUNCTION routing_record(p_conversation_id bigint, p_plan routing_plan, p_agent_id bigint, p_cause text,
                                          p_reason text, p_candidates routing_candidate_list) RETURNS routing_decisions
LANGUAGE plpgsql AS $$
DECLARE
    v_decision routing_decisions;
BEGIN
    SELECT * INTO v_decision
      FROM routing_log(ARRAY[routing_decision(p_conversation_id, p_plan, p_agent_id, p_cause, p_reason, p_candidates)]);
    RETURN v_decision;
END $$;

-- Routes the conversations p_ids as route_conversation would route each, in one transaction:
-- team by team, in each the most urgent first, then the oldest. A row per distinct id:
--   assigned / queued  decided, with the logged decision;
--   skipped            not open and unassigned (an agent took it meanwhile, say): nothing to do;
--   missing            no such conversation (erased);
--   deferred           another transaction holds the conversation, its round robin team, or
--                      the agent this decision must wait for (the previous agent, the round
--                      robin's next): route it again later, or alone with route_conversation,
--                      which waits.
-- Conversations, round robin teams and capacity rows are locked without waiting (SKIP LOCKED),
-- so batches running side by side do not queue behind one another or deadlock.
CREATE FUNCTION route_conversations(p_ids bigint[], p_cause text DEFAULT 'route')
RETURNS TABLE (conversation_id bigint, outcome text, decision_id bigint, team_id bigint, agent_id bigint,
               rule_name text, strategy text, reason text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_convs       conversations[];
    v_plans       routing_plan[];
    v_previous    bigint[];
    v_order       integer[];
    v_need_team   bigint[];
    v_rr_teams    bigint[];
    -- The batch's assignments so far, for sticky.
    v_assigned_customer     bigint[];
    v_assigned_conversation bigint[];
    v_assigned_agent        bigint[];
    v_need_channel text[];
    v_team        bigint;
    v_team_members routing_member[];
    v_channels    text[];
    v_team_ids    bigint[];
    -- Capacity of every (agent, channel) of the batch's teams and channels; live counts this
    -- batch's own assignments; locked: this transaction holds the row.
    v_cap_live    integer[];
    v_cap_max     integer[];
    v_cap_last    timestamptz[];
    v_cap_locked  boolean[];
    v_members     routing_member[];
    -- The members of team v_slice_team[k] are v_members[v_slice_lo[k] : v_slice_hi[k]].
    v_slice_team  bigint[];
    v_slice_lo    integer[];
    v_slice_hi    integer[];
    -- Per conversation (same index as v_convs).
    v_state       text[];
    v_agents      bigint[];
    v_reasons     text[];
    v_lists       routing_candidate_list[];
    v_conv        conversations;
    v_plan        routing_plan;
    v_list        routing_candidate_list;
    v_eligible    integer[];
    v_i           integer;
    v_k           integer;
    v_lo          integer;
    v_hi          integer;
    v_channel_at  integer;
    v_idx         integer;
    v_slot        integer;
    v_member      routing_member;
    v_agent       bigint;
    v_live        integer;
    v_max         integer;
    v_wait        boolean;
    v_busy        boolean;
BEGIN
    -- Conversations another transaction holds are deferred, not waited for.
    v_convs := ARRAY(SELECT x FROM conversations x WHERE x.id = ANY (p_ids) ORDER BY x.id FOR UPDATE SKIP LOCKED);

    RETURN QUERY
    SELECT x.id, CASE WHEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = x.id) THEN 'deferred' ELSE 'missing' END,
           NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM (SELECT DISTINCT u.id FROM unnest(p_ids) u(id)) x
     WHERE NOT EXISTS (SELECT 1 FROM unnest(v_convs) c WHERE c.id = x.id);
    RETURN QUERY
    SELECT c.id, 'skipped', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM unnest(v_convs) c
     WHERE c.status <> 'open' OR c.agent_id IS NOT NULL;
    v_convs := ARRAY(SELECT c FROM unnest(v_convs) c WHERE c.status = 'open' AND c.agent_id IS NULL ORDER BY c.id);
    IF cardinality(v_convs) = 0 THEN
        RETURN;
    END IF;

    -- Plans, exactly as route_conversation makes them.
    FOR v_i IN 1 .. cardinality(v_convs) LOOP
        v_conv := v_convs[v_i];
        IF v_conv.team_pinned AND v_conv.team_id IS NOT NULL THEN
            v_plan := routing_plan_of(v_conv);
        ELSE
            v_plan := routing_match(v_conv);
        END IF;
        v_plan.sla_policy_id := coalesce(v_plan.sla_policy_id, v_conv.sla_policy_id);
        v_plans[v_i] := v_plan;
        v_previous[v_i] := v_conv.last_agent_id;
        IF v_conv.last_agent_id IS NULL AND v_plan.strategy = 'sticky' THEN
            SELECT coalesce(c.agent_id, c.last_agent_id) INTO v_agent FROM conversations c
             WHERE c.customer_id = v_conv.customer_id AND c.id <> v_conv.id AND coalesce(c.agent_id, c.last_agent_id) IS NOT NULL
             ORDER BY c.assigned_at DESC NULLS LAST, c.id DESC LIMIT 1;
            v_previous[v_i] := CASE WHEN FOUND THEN v_agent END;
        END IF;
    END LOOP;

    -- Team by team (teams share few agents), the most urgent first, then the oldest.
    SELECT array_agg(i ORDER BY (v_plans[i]).team_id, (v_plans[i]).priority, (v_convs[i]).id),
           array_agg((v_plans[i]).team_id), array_agg((v_convs[i]).channel)
      INTO v_order, v_need_team, v_need_channel
      FROM generate_subscripts(v_convs, 1) i;
    SELECT array_agg(DISTINCT x) INTO v_channels FROM unnest(v_need_channel) x;
    SELECT array_agg(DISTINCT x) INTO v_team_ids FROM unnest(v_need_team) x;

    -- Round robin turns are read and taken one team at a time, as in route_conversation; a
    -- team another transaction holds defers its round robin conversations instead of waiting.
    v_rr_teams := ARRAY(SELECT t.id FROM teams t
                         WHERE t.id IN (SELECT (p).team_id FROM unnest(v_plans) p WHERE (p).strategy = 'round_robin')
                         ORDER BY t.id FOR NO KEY UPDATE SKIP LOCKED);

    -- One read of every member of the batch's teams: status, turns, skills, and capacity on the
    -- channels their team's conversations came by, in a grid of agents × the batch's channels.
    WITH m AS (SELECT tm.team_id, tm.agent_id, tm.round_robin_turns FROM team_members tm WHERE tm.team_id = ANY (v_team_ids)),
         a AS (SELECT d.agent_id, (row_number() OVER (ORDER BY d.agent_id))::integer AS ax
                 FROM (SELECT DISTINCT m.agent_id FROM m) d),
         needs AS (SELECT DISTINCT m.agent_id, n.channel
                     FROM unnest(v_need_team, v_need_channel) AS n(team_id, channel) JOIN m ON m.team_id = n.team_id),
         grid AS (SELECT a.ax, ch.n, c.live, c.max_open, c.last_assigned_at
                    FROM a CROSS JOIN unnest(v_channels) WITH ORDINALITY AS ch(name, n)
                    LEFT JOIN (needs JOIN agent_capacity c ON c.agent_id = needs.agent_id AND c.channel = needs.channel)
                           ON needs.agent_id = a.agent_id AND needs.channel = ch.name),
         cap AS (SELECT array_agg(grid.live ORDER BY grid.ax, grid.n) AS live,
                        array_agg(grid.max_open ORDER BY grid.ax, grid.n) AS max_open,
                        array_agg(grid.last_assigned_at ORDER BY grid.ax, grid.n) AS last_assigned_at
                   FROM grid)
    SELECT (SELECT cap.live FROM cap), (SELECT cap.max_open FROM cap), (SELECT cap.last_assigned_at FROM cap),
           (SELECT array_agg(ROW(m.team_id, ag.id, ag.name, ag.status, m.round_robin_turns, s.languages, s.language_levels,
                                 s.categories, s.category_levels, (a.ax - 1) * cardinality(v_channels))::routing_member
                             ORDER BY m.team_id, ag.id)
              FROM m JOIN a ON a.agent_id = m.agent_id JOIN agents ag ON ag.id = m.agent_id
              LEFT JOIN agent_skill_sets s ON s.agent_id = m.agent_id)
      INTO v_cap_live, v_cap_max, v_cap_last, v_members;
    v_cap_locked := array_fill(false, ARRAY[coalesce(cardinality(v_cap_live), 0)]);
    SELECT array_agg(x.team_id ORDER BY x.team_id), array_agg(x.lo ORDER BY x.team_id), array_agg(x.hi ORDER BY x.team_id)
      INTO v_slice_team, v_slice_lo, v_slice_hi
      FROM (SELECT m.team_id, min(m.n)::integer AS lo, max(m.n)::integer AS hi
              FROM unnest(v_members) WITH ORDINALITY AS m(team_id, agent_id, agent, status, turns, languages, language_levels,
                                                          categories, category_levels, slot_base, n)
             GROUP BY m.team_id) x;

    FOREACH v_i IN ARRAY v_order LOOP
        v_conv := v_convs[v_i];
        v_plan := v_plans[v_i];
        v_channel_at := array_position(v_channels, v_conv.channel);
        IF v_team IS DISTINCT FROM v_plan.team_id THEN
            v_team := v_plan.team_id;
            v_k := array_position(v_slice_team, v_team);
            v_lo := coalesce(v_slice_lo[v_k], 1);
            v_hi := coalesce(v_slice_hi[v_k], 0);
            v_team_members := v_members[v_lo:v_hi];
        END IF;

        -- Sticky: a conversation of the same customer assigned earlier in this batch is the
        -- customer's latest (the newest such one, as route_conversation's lookup would find).
        IF v_plan.strategy = 'sticky' AND v_conv.last_agent_id IS NULL AND v_assigned_customer IS NOT NULL THEN
            SELECT a.agent INTO v_agent
              FROM unnest(v_assigned_customer, v_assigned_conversation, v_assigned_agent) AS a(customer, conversation, agent)
             WHERE a.customer = v_conv.customer_id
             ORDER BY a.conversation DESC LIMIT 1;
            IF FOUND THEN
                v_previous[v_i] := v_agent;
            END IF;
        END IF;
        -- The candidates, ranked as in route_conversation, with the batch's own assignments
        -- counted in their load.
        SELECT array_agg(k.agent_id), array_agg(k.note), array_agg(k.live), array_agg(k.max_open),
               array_agg(k.idx) FILTER (WHERE k.note IS NULL)
          INTO v_list.ids, v_list.notes, v_list.live, v_list.max_open, v_eligible
          FROM (SELECT m.agent_id, m.n::integer AS idx, r.note,
                       coalesce(v_cap_live[(m.slot_base + v_channel_at)], 0) AS live, coalesce(v_cap_max[(m.slot_base + v_channel_at)], 0) AS max_open
                  FROM unnest(v_team_members) WITH ORDINALITY
                       AS m(team_id, agent_id, agent, status, turns, languages, language_levels, categories, category_levels, slot_base, n)
                 CROSS JOIN LATERAL (SELECT m.language_levels[array_position(m.languages, v_conv.language)] AS language_level,
                                            m.category_levels[array_position(m.categories, v_conv.category)] AS skill_level,
                                            v_cap_live[(m.slot_base + v_channel_at)] AS live,
                                            v_cap_max[(m.slot_base + v_channel_at)] AS max_open,
                                            v_cap_last[(m.slot_base + v_channel_at)] AS last_assigned_at) x
                 CROSS JOIN LATERAL (SELECT CASE
                       WHEN m.status <> 'online' THEN m.status
                       WHEN coalesce(x.max_open, 0) = 0 THEN 'takes no ' || v_conv.channel || ' conversations'
                       WHEN x.live >= x.max_open THEN format('at capacity on %s (%s of %s)', v_conv.channel, x.live, x.max_open)
                       WHEN v_plan.require_language AND v_conv.language <> 'unknown' AND x.language_level IS NULL
                           THEN 'does not speak ' || v_conv.language
                       WHEN v_plan.require_skill AND v_conv.category IS NOT NULL AND x.skill_level IS NULL
                           THEN 'no skill in ' || v_conv.category
                       END AS note) r
                 ORDER BY r.note IS NOT NULL,
                          m.agent_id IS DISTINCT FROM v_previous[v_i],
                          CASE v_plan.strategy WHEN 'round_robin' THEN m.turns END,
                          CASE v_plan.strategy WHEN 'skills' THEN -(coalesce(x.language_level, 0) + coalesce(x.skill_level, 0)) END,
                          coalesce(x.live, 0)::float8 / nullif(coalesce(x.max_open, 0), 0),
                          coalesce(x.live, 0),
                          x.last_assigned_at NULLS FIRST,
                          m.agent_id) k;

        v_agent := NULL;
        v_busy := false;
        IF v_plan.strategy = 'round_robin' AND NOT v_plan.team_id = ANY (v_rr_teams) THEN
            v_state[v_i] := 'deferred';
            CONTINUE;
        END IF;
        IF v_plan.strategy = 'manual' THEN
            v_reasons[v_i] := 'manual strategy: waits in the team queue for an agent to take it';
        ELSIF v_eligible IS NULL THEN
            v_reasons[v_i] := 'no eligible agent: waits in the team queue';
        ELSE
            -- The first in rank whose capacity row this transaction holds (or takes now
            -- without waiting) and that still has room. A row another transaction holds is
            -- passed over for least loaded and skills (the next in rank is as good); the
            -- previous agent and the round robin's next are waited for by deferring.
            FOREACH v_idx IN ARRAY v_eligible LOOP
                v_member := v_team_members[v_idx];
                v_slot := v_member.slot_base + v_channel_at;
                v_wait := v_member.agent_id = v_previous[v_i] OR v_plan.strategy NOT IN ('least_loaded', 'skills');
                IF NOT v_cap_locked[v_slot] THEN
                    SELECT c.live, c.max_open INTO v_live, v_max FROM agent_capacity c
                     WHERE c.agent_id = v_member.agent_id AND c.channel = v_conv.channel FOR UPDATE SKIP LOCKED;
                    IF NOT FOUND THEN
                        v_busy := true;
                        EXIT WHEN v_wait;
                        CONTINUE;
                    END IF;
                    v_cap_locked[v_slot] := true;
                    v_cap_live[v_slot] := v_live;
                    v_cap_max[v_slot] := v_max;
                END IF;
                IF v_cap_live[v_slot] < v_cap_max[v_slot] THEN
                    v_agent := v_member.agent_id;
                    EXIT;
                END IF;
                v_list.notes[array_position(v_list.ids, v_member.agent_id)] := 'filled up meanwhile';
            END LOOP;
            IF v_agent IS NULL AND v_busy THEN
                v_state[v_i] := 'deferred';
                CONTINUE;
            END IF;
            IF v_agent IS NOT NULL THEN
                v_assigned_customer := v_assigned_customer || v_conv.customer_id;
                v_assigned_conversation := v_assigned_conversation || v_conv.id;
                v_assigned_agent := v_assigned_agent || v_agent;
                v_cap_live[v_slot] := v_cap_live[v_slot] + 1;
                v_cap_last[v_slot] := now();
                IF v_plan.strategy = 'round_robin' THEN
                    v_team_members[v_idx].turns := v_member.turns + 1;
                END IF;
            END IF;
            v_reasons[v_i] := CASE
                WHEN v_agent IS NULL THEN 'every eligible agent filled up meanwhile: waits in the team queue'
                WHEN v_agent = v_previous[v_i] AND v_previous[v_i] = v_conv.last_agent_id THEN 'back to the agent it had before'
                WHEN v_agent = v_previous[v_i] THEN 'sticky: the customer''s previous agent'
                WHEN v_previous[v_i] IS NOT NULL THEN format('%s; the previous agent is not eligible', v_plan.strategy)
                WHEN v_plan.strategy = 'round_robin' THEN 'round robin: fewest turns in the team'
                WHEN v_plan.strategy = 'skills' THEN 'skills: highest language and category level'
                ELSE 'least loaded: lowest share of capacity in use' END;
        END IF;
        v_state[v_i] := 'decided';
        v_agents[v_i] := v_agent;
        v_lists[v_i] := v_list;
    END LOOP;

    RETURN QUERY
    SELECT (v_convs[i]).id, 'deferred', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM generate_subscripts(v_convs, 1) i
     WHERE v_state[i] = 'deferred';

    -- One update of the decided conversations (the capacity trigger counts each assignment
    -- against the rows this transaction holds), as route_conversation's.
    UPDATE conversations c
       SET team_id = (x.plan).team_id, priority = (x.plan).priority, routing_rule_id = (x.plan).rule_id,
           routing_strategy = (x.plan).strategy, sla_policy_id = (x.plan).sla_policy_id, routed_at = now(),
           first_response_due_at = CASE WHEN c.first_response_at IS NULL
               THEN coalesce(c.first_response_due_at, business_time_add(p.calendar_id, c.created_at, t.first_response))
               ELSE c.first_response_due_at END,
           resolution_due_at = coalesce(c.resolution_due_at,
               business_time_add(p.calendar_id, coalesce(c.reopened_at, c.created_at), t.resolution)),
           agent_id = x.agent, assigned_at = CASE WHEN x.agent IS NULL THEN NULL ELSE now() END,
           updated_at = now()
      FROM (SELECT (v_convs[i]).id, v_plans[i] AS plan, v_agents[i] AS agent
              FROM generate_subscripts(v_convs, 1) i WHERE v_state[i] = 'decided') x
      LEFT JOIN sla_policies p ON p.id = (x.plan).sla_policy_id
      LEFT JOIN sla_targets t ON t.policy_id = p.id AND t.priority = (x.plan).priority
     WHERE c.id = x.id;

    UPDATE team_members tm SET round_robin_turns = tm.round_robin_turns + x.turns
      FROM (SELECT (v_plans[i]).team_id, v_agents[i] AS agent, count(*) AS turns
              FROM generate_subscripts(v_convs, 1) i
             WHERE v_state[i] = 'decided' AND v_agents[i] IS NOT NULL AND (v_plans[i]).strategy = 'round_robin'
             GROUP BY 1, 2) x
     WHERE tm.team_id = x.team_id AND tm.agent_id = x.agent;

    RETURN QUERY
    SELECT d.conversation_id, d.outcome, d.id, d.team_id, d.agent_id, d.rule_name, d.strategy, d.reason
      FROM routing_log(ARRAY(SELECT routing_decision((v_convs[i]).id, v_plans[i], v_agents[i], p_cause, v_reasons[i], v_lists[i])
                               FROM generate_subscripts(v_convs, 1) i WHERE v_state[i] = 'decided' ORDER BY i)) d;
END $$;
