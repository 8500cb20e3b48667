-- Routing decisions: candidates, one conversation or a batch, the decision log, waiting
-- conversations offered to agents with room, dry runs. See docs/routing.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Every decision with its candidates as JSON: [{agent_id, agent, eligible, note, live, max_open}].
CREATE OR REPLACE VIEW routing_explanations AS
SELECT d.id AS decision_id, d.conversation_id, d.decided_at, d.cause, d.rule_name, d.rule_id,
       t.name AS team, d.strategy, d.priority, d.outcome, a.name AS agent, d.agent_id, d.reason,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('agent_id', x.agent_id, 'agent', ca.name, 'eligible', x.note IS NULL,
                                                     'note', x.note, 'live', x.live, 'max_open', x.max_open) ORDER BY x.rank), '[]')
          FROM unnest(d.candidate_ids, d.candidate_notes, d.candidate_live, d.candidate_max_open)
               WITH ORDINALITY AS x(agent_id, note, live, max_open, rank)
          LEFT JOIN agents ca ON ca.id = x.agent_id) AS candidates
  FROM routing_decisions d
  JOIN teams t ON t.id = d.team_id
  LEFT JOIN agents a ON a.id = d.agent_id;

-- The transaction lock under which a team's round-robin turns are read and taken: an advisory
-- lock, not the team's row, so that taking turns needs no right to change teams (the worker role
-- only reads them). Keyed by schema, as customer_lock_key.
CREATE OR REPLACE FUNCTION routing_team_lock_key(p_team_id bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT hashtextextended('switchboard.team_turns:' || current_schema(), p_team_id)
$$;

-- Why an agent may not take a conversation now, or NULL when they may: the one definition of
-- eligibility, for route_conversation (through routing_candidates) and route_conversations alike.
-- A single expression, so PostgreSQL inlines it into the calling statement.
CREATE OR REPLACE FUNCTION routing_ineligibility(p_status text, p_channel text, p_live integer, p_max_open integer,
                                                 p_language text, p_language_level smallint, p_require_language boolean,
                                                 p_category text, p_skill_level smallint, p_require_skill boolean)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_status <> 'online' THEN p_status
        WHEN coalesce(p_max_open, 0) = 0 THEN 'takes no ' || p_channel || ' conversations'
        WHEN p_live >= p_max_open THEN format('at capacity on %s (%s of %s)', p_channel, p_live, p_max_open)
        WHEN p_require_language AND p_language <> 'unknown' AND p_language_level IS NULL THEN 'does not speak ' || p_language
        WHEN p_require_skill AND p_category IS NOT NULL AND p_skill_level IS NULL THEN 'no skill in ' || p_category
    END
$$;

-- Why a decision went the way it did, in the words the decision log keeps: the one definition,
-- for route_conversation and route_conversations alike.
CREATE OR REPLACE FUNCTION routing_reason(p_plan routing_plan, p_agent bigint, p_previous bigint, p_last_agent bigint,
                                          p_eligible boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_plan.strategy = 'manual' THEN 'manual strategy: waits in the team queue for an agent to take it'
        WHEN NOT p_eligible THEN 'no eligible agent: waits in the team queue'
        WHEN p_agent IS NULL THEN 'every eligible agent filled up meanwhile: waits in the team queue'
        WHEN p_agent = p_previous AND p_previous = p_last_agent THEN 'back to the agent it had before'
        WHEN p_agent = p_previous THEN 'sticky: the customer''s previous agent'
        WHEN p_previous IS NOT NULL THEN format('%s; the previous agent is not eligible', p_plan.strategy)
        WHEN p_plan.strategy = 'round_robin' THEN 'round robin: fewest turns in the team'
        WHEN p_plan.strategy = 'skills' THEN 'skills: highest language and category level'
        ELSE 'least loaded: lowest share of capacity in use'
    END
$$;

-- Every member of team p_team_id as a candidate for a conversation on p_channel in p_language
-- and p_category: eligible, or the reason they are not.
CREATE OR REPLACE FUNCTION routing_candidates(p_team_id bigint, p_channel text, p_language text, p_category text,
                                   p_require_language boolean, p_require_skill boolean)
RETURNS TABLE (agent_id bigint, agent text, eligible boolean, note text, live integer, max_open integer,
               language_level smallint, skill_level smallint, round_robin_turns bigint, last_assigned_at timestamptz)
LANGUAGE sql STABLE AS $$
    -- Per member, lookups by key (a team is tens of agents; the skill and capacity tables hold
    -- every agent's rows).
    SELECT a.id, a.name, r.note IS NULL, r.note, coalesce((x.capacity).live, 0), coalesce((x.capacity).max_open, 0),
           coalesce(x.language_level, 0::smallint), coalesce(x.skill_level, 0::smallint), tm.round_robin_turns,
           (x.capacity).last_assigned_at
      FROM team_members tm
      JOIN agents a ON a.id = tm.agent_id
      CROSS JOIN LATERAL (SELECT
           (SELECT c FROM agent_capacity c WHERE c.agent_id = a.id AND c.channel = p_channel) AS capacity,
           (SELECT s.level FROM agent_skills s WHERE s.agent_id = a.id AND s.kind = 'language' AND s.value = p_language) AS language_level,
           (SELECT s.level FROM agent_skills s WHERE s.agent_id = a.id AND s.kind = 'category' AND s.value = p_category) AS skill_level
           OFFSET 0) x
      CROSS JOIN LATERAL (SELECT routing_ineligibility(a.status, p_channel, (x.capacity).live, (x.capacity).max_open,
                                                       p_language, x.language_level, p_require_language,
                                                       p_category, x.skill_level, p_require_skill) AS note) r
     WHERE tm.team_id = p_team_id
$$;

-- Counts a round robin turn for an agent given a conversation by routing (not by a transfer).
CREATE OR REPLACE FUNCTION routing_count_turn(p_plan routing_plan, p_agent_id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_agent_id IS NOT NULL AND p_plan.strategy = 'round_robin' THEN
        UPDATE team_members SET round_robin_turns = round_robin_turns + 1
         WHERE team_id = p_plan.team_id AND agent_id = p_agent_id;
    END IF;
END $$;

-- Logs decisions (every decision goes through here, routing_record included) and, for
-- assignments when asked to, tells the agents' desks. Returns the logged rows; the ids and
-- decided_at of p_decisions are ignored.
CREATE OR REPLACE FUNCTION routing_log(p_decisions routing_decisions[]) RETURNS SETOF routing_decisions LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION routing_decision(p_conversation_id bigint, p_plan routing_plan, p_agent_id bigint, p_cause text,
                                 p_reason text, p_candidates routing_candidate_list) RETURNS routing_decisions
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(NULL, p_conversation_id, NULL, p_cause, p_plan.rule_id, p_plan.rule_name, p_plan.team_id, p_plan.strategy,
               p_plan.priority, CASE WHEN p_agent_id IS NULL THEN 'queued' ELSE 'assigned' END, p_agent_id, p_reason,
               coalesce(p_candidates.ids, '{}'), coalesce(p_candidates.notes, '{}'),
               coalesce(p_candidates.live, '{}'), coalesce(p_candidates.max_open, '{}'))::routing_decisions
$$;

-- Logs one decision, through routing_log.
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

-- The agent routing tries first for p_conv: the one it had before (reopened, or taken from an
-- agent who went offline); for sticky, else the customer's latest agent on another conversation.
CREATE OR REPLACE FUNCTION routing_previous_agent(p_conv conversations, p_strategy text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_conv.last_agent_id IS NOT NULL OR p_strategy <> 'sticky' THEN
        RETURN p_conv.last_agent_id;
    END IF;
    RETURN (SELECT coalesce(c.agent_id, c.last_agent_id) FROM conversations c
             WHERE c.customer_id = p_conv.customer_id AND c.id <> p_conv.id AND coalesce(c.agent_id, c.last_agent_id) IS NOT NULL
             ORDER BY c.assigned_at DESC NULLS LAST, c.id DESC LIMIT 1);
END $$;

-- Where a candidate stands for a conversation, as a sort key (ascending): the one ranking of
-- both routing paths. Eligible agents first, then the agent the conversation goes back to, then
-- by strategy (round robin: fewest turns in the team; skills: highest language plus category
-- level), then the lowest share of capacity in use, the fewest live conversations, the longest
-- since an assignment (never assigned first), and the lowest id. A single expression, so
-- PostgreSQL inlines it into the ORDER BY that calls it.
CREATE OR REPLACE FUNCTION routing_rank(p_strategy text, p_eligible boolean, p_previous boolean, p_turns bigint,
                                        p_language_level smallint, p_skill_level smallint, p_live integer,
                                        p_max_open integer, p_last_assigned_at timestamptz, p_agent_id bigint)
RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[CASE WHEN p_eligible THEN 0 ELSE 1 END::float8,
                 CASE WHEN p_previous THEN 0 ELSE 1 END::float8,
                 CASE WHEN p_strategy = 'round_robin' THEN p_turns ELSE 0 END::float8,
                 CASE WHEN p_strategy = 'skills' THEN -(coalesce(p_language_level, 0) + coalesce(p_skill_level, 0)) ELSE 0 END::float8,
                 coalesce(coalesce(p_live, 0)::float8 / nullif(coalesce(p_max_open, 0), 0), 'Infinity'::float8),
                 coalesce(p_live, 0)::float8,
                 -- Seconds since the epoch by interval arithmetic: extract() on a timestamptz is only
                 -- stable, which would stop PostgreSQL from inlining this immutable function.
                 coalesce(extract(epoch FROM p_last_assigned_at - 'epoch'::timestamptz)::float8, '-Infinity'::float8),
                 p_agent_id::float8]
$$;

-- Applies routing decisions: conversation p_ids[i] takes plan p_plans[i]'s team, priority, rule,
-- strategy and SLA due times, and agent p_agents[i] (null: it waits in the team queue); round
-- robin turns are counted. Both routing paths end here. One update of the conversations (the
-- capacity trigger counts each assignment; a second update in the same transaction would
-- re-check every foreign key). SLA clocks start when the conversation was opened (or
-- reopened), in the policy's hours.
CREATE OR REPLACE FUNCTION routing_apply(p_ids bigint[], p_plans routing_plan[], p_agents bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
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
      FROM (SELECT p_ids[i] AS id, p_plans[i] AS plan, p_agents[i] AS agent FROM generate_subscripts(p_ids, 1) i) x
      LEFT JOIN sla_policies p ON p.id = (x.plan).sla_policy_id
      LEFT JOIN sla_targets t ON t.policy_id = p.id AND t.priority = (x.plan).priority
     -- id = ANY puts the conversations' primary key in the plan: joined on x alone, whose size
     -- the planner cannot know, the cached plan scanned every conversation (45 ms a call).
     WHERE c.id = ANY (p_ids) AND c.id = x.id;

    UPDATE team_members tm SET round_robin_turns = tm.round_robin_turns + x.turns
      FROM (SELECT (p_plans[i]).team_id, p_agents[i] AS agent, count(*) AS turns
              FROM generate_subscripts(p_ids, 1) i
             WHERE p_agents[i] IS NOT NULL AND (p_plans[i]).strategy = 'round_robin'
             GROUP BY 1, 2) x
     WHERE tm.team_id = x.team_id AND tm.agent_id = x.agent;
END $$;

-- The first of p_order (the eligible candidates, best first) whose capacity row on p_channel,
-- locked now, still has room; candidates found full are noted in p_list. The ranking read
-- capacity without locks. Least loaded and skills first skip rows another routing transaction
-- holds (it is giving that agent a conversation this very moment: the next in rank is as good);
-- round robin (serialised per team already) and the previous agent are waited for, so turns
-- stay even and sticky stays sticky.
CREATE OR REPLACE FUNCTION routing_take(p_order bigint[], p_channel text, p_previous bigint, p_strategy text,
                                        INOUT p_list routing_candidate_list, OUT o_agent bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_candidate bigint;
BEGIN
    IF p_strategy IN ('least_loaded', 'skills') THEN
        FOREACH v_candidate IN ARRAY p_order LOOP
            IF v_candidate = p_previous THEN
                PERFORM 1 FROM agent_capacity
                  WHERE agent_id = v_candidate AND channel = p_channel AND live < max_open FOR UPDATE;
            ELSE
                PERFORM 1 FROM agent_capacity
                  WHERE agent_id = v_candidate AND channel = p_channel AND live < max_open FOR UPDATE SKIP LOCKED;
            END IF;
            IF FOUND THEN o_agent := v_candidate; RETURN; END IF;
        END LOOP;
    END IF;
    FOREACH v_candidate IN ARRAY p_order LOOP
        PERFORM 1 FROM agent_capacity
          WHERE agent_id = v_candidate AND channel = p_channel AND live < max_open FOR UPDATE;
        IF FOUND THEN o_agent := v_candidate; RETURN; END IF;
        p_list.notes[array_position(p_list.ids, v_candidate)] := 'filled up meanwhile';
    END LOOP;
END $$;

-- Routes one conversation: the matching rule sets team, priority and SLA due times; the rule's
-- strategy picks an eligible agent with capacity, or the conversation waits in the team queue.
-- Conversations that are not open and unassigned are left alone (returns null): a route job
-- may arrive after an agent already took it.
CREATE OR REPLACE FUNCTION route_conversation(p_conversation_id bigint, p_cause text DEFAULT 'route') RETURNS routing_decisions
LANGUAGE plpgsql
-- Custom plans would be planned again on every call (the candidates query alone plans in ~2 ms)
-- for no better plan: its lookups are all by key.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_conv     conversations;
    v_plan     routing_plan;
    v_previous bigint;
    v_list     routing_candidate_list;
    v_order    bigint[];
    v_taken    record;
    v_agent    bigint;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conversation %', p_conversation_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_conv.status <> 'open' OR v_conv.agent_id IS NOT NULL THEN
        RETURN NULL;
    END IF;

    v_plan := routing_plan_for(v_conv);
    v_previous := routing_previous_agent(v_conv, v_plan.strategy);
    IF v_plan.strategy = 'round_robin' THEN
        -- Turns are read and taken one assignment at a time per team, so they stay even.
        PERFORM pg_advisory_xact_lock(routing_team_lock_key(v_plan.team_id));
    END IF;

    -- One sort; the aggregates keep the subquery's order.
    SELECT array_agg(k.agent_id), array_agg(k.note), array_agg(k.live), array_agg(k.max_open),
           array_agg(k.agent_id) FILTER (WHERE k.eligible)
      INTO v_list.ids, v_list.notes, v_list.live, v_list.max_open, v_order
      FROM (SELECT c.agent_id, c.note, c.live, c.max_open, c.eligible
              FROM routing_candidates(v_plan.team_id, v_conv.channel, v_conv.language, v_conv.category,
                                      v_plan.require_language, v_plan.require_skill) c
             ORDER BY routing_rank(v_plan.strategy, c.eligible, c.agent_id = v_previous, c.round_robin_turns,
                                   c.language_level, c.skill_level, c.live, c.max_open, c.last_assigned_at, c.agent_id)) k;

    IF v_plan.strategy <> 'manual' AND v_order IS NOT NULL THEN
        SELECT * INTO v_taken FROM routing_take(v_order, v_conv.channel, v_previous, v_plan.strategy, v_list);
        v_list := v_taken.p_list;
        v_agent := v_taken.o_agent;
    END IF;
    PERFORM routing_apply(ARRAY[v_conv.id], ARRAY[v_plan], ARRAY[v_agent]);
    RETURN routing_record(v_conv.id, v_plan, v_agent, p_cause,
                          routing_reason(v_plan, v_agent, v_previous, v_conv.last_agent_id, v_order IS NOT NULL),
                          v_list);
END $$;

-- What a batch routes with: every member of the teams of its plans p_plans (status, turns,
-- skills), in team then agent order, and their capacity on the channels their team's
-- conversations came by, in a grid of the batch's agents × channels p_channels: a member's
-- capacity on p_channels[k] is at slot_base + k (null where there is no need or no row).
CREATE OR REPLACE FUNCTION routing_batch_members(p_convs conversations[], p_plans routing_plan[], p_channels text[],
    OUT o_members routing_member[], OUT o_live integer[], OUT o_max_open integer[], OUT o_last_assigned_at timestamptz[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    WITH n AS (SELECT (p_plans[i]).team_id, (p_convs[i]).channel FROM generate_subscripts(p_convs, 1) i),
         m AS (SELECT tm.team_id, tm.agent_id, tm.round_robin_turns FROM team_members tm
                WHERE tm.team_id = ANY (ARRAY(SELECT DISTINCT n.team_id FROM n))),
         a AS (SELECT d.agent_id, (row_number() OVER (ORDER BY d.agent_id))::integer AS ax
                 FROM (SELECT DISTINCT m.agent_id FROM m) d),
         needs AS (SELECT DISTINCT m.agent_id, n.channel FROM n JOIN m ON m.team_id = n.team_id),
         grid AS (SELECT a.ax, ch.n, c.live, c.max_open, c.last_assigned_at
                    FROM a CROSS JOIN unnest(p_channels) WITH ORDINALITY AS ch(name, n)
                    LEFT JOIN (needs JOIN agent_capacity c ON c.agent_id = needs.agent_id AND c.channel = needs.channel)
                           ON needs.agent_id = a.agent_id AND needs.channel = ch.name),
         cap AS (SELECT array_agg(grid.live ORDER BY grid.ax, grid.n) AS live,
                        array_agg(grid.max_open ORDER BY grid.ax, grid.n) AS max_open,
                        array_agg(grid.last_assigned_at ORDER BY grid.ax, grid.n) AS last_assigned_at
                   FROM grid)
    SELECT (SELECT cap.live FROM cap), (SELECT cap.max_open FROM cap), (SELECT cap.last_assigned_at FROM cap),
           (SELECT array_agg(ROW(m.team_id, ag.id, ag.name, ag.status, m.round_robin_turns, s.languages, s.language_levels,
                                 s.categories, s.category_levels, (a.ax - 1) * cardinality(p_channels))::routing_member
                             ORDER BY m.team_id, ag.id)
              FROM m JOIN a ON a.agent_id = m.agent_id JOIN agents ag ON ag.id = m.agent_id
              LEFT JOIN agent_skill_sets s ON s.agent_id = m.agent_id)
      INTO o_live, o_max_open, o_last_assigned_at, o_members;
END $$;

-- Decides a batch's conversations of one team (p_at: their indexes into p_convs, the most urgent
-- then the oldest first) as route_conversation would decide each, from the team's members
-- p_members and the batch's capacity grid (routing_batch_members), which counts the batch's own
-- assignments; p_locked marks the grid's rows this transaction holds. Each becomes 'decided'
-- (with its agent, reason and candidates) or 'deferred': it is routed round robin but this
-- transaction could not lock the team (p_rr_locked false), or another transaction holds the
-- agent it must wait for (the previous agent, the round robin's next). A capacity row another transaction holds is passed over for least loaded and
-- skills: the next in rank is as good. p_customers repeats each conversation's customer: reading
-- it out of p_convs for every sticky lookup would extract whole rows from the array each time.
CREATE OR REPLACE FUNCTION routing_batch_decide_team(p_convs conversations[], p_plans routing_plan[], p_previous bigint[],
    p_customers bigint[], p_at integer[], p_members routing_member[], p_channels text[], p_rr_locked boolean,
    INOUT p_live integer[], INOUT p_max_open integer[], INOUT p_last_assigned_at timestamptz[], INOUT p_locked boolean[],
    INOUT p_state text[], INOUT p_agents bigint[], INOUT p_reasons text[], INOUT p_lists routing_candidate_list[])
LANGUAGE plpgsql AS $$
DECLARE
    v_i integer; v_at integer; v_idx integer; v_slot integer;
    v_conv conversations; v_plan routing_plan; v_previous bigint; v_agent bigint;
    v_list routing_candidate_list; v_eligible integer[]; v_member routing_member;
    v_live integer; v_max integer; v_busy boolean;
BEGIN
    FOREACH v_i IN ARRAY p_at LOOP
        v_conv := p_convs[v_i];
        v_plan := p_plans[v_i];
        IF v_plan.strategy = 'round_robin' AND NOT p_rr_locked THEN
            p_state[v_i] := 'deferred';
            CONTINUE;
        END IF;
        v_at := array_position(p_channels, v_conv.channel);
        -- Sticky: a conversation of the customer assigned earlier in this batch is their latest.
        v_previous := p_previous[v_i];
        IF v_plan.strategy = 'sticky' AND v_conv.last_agent_id IS NULL THEN
            v_previous := coalesce((SELECT p_agents[j] FROM generate_subscripts(p_customers, 1) j
                                     WHERE p_customers[j] = v_conv.customer_id AND p_agents[j] IS NOT NULL
                                     ORDER BY j DESC LIMIT 1), v_previous);
        END IF;
        SELECT array_agg(k.agent_id), array_agg(k.note), array_agg(k.live), array_agg(k.max_open),
               array_agg(k.idx) FILTER (WHERE k.note IS NULL)
          INTO v_list.ids, v_list.notes, v_list.live, v_list.max_open, v_eligible
          FROM (SELECT m.agent_id, m.n::integer AS idx, r.note, coalesce(x.live, 0) AS live, coalesce(x.max_open, 0) AS max_open
                  FROM unnest(p_members) WITH ORDINALITY
                       AS m(team_id, agent_id, agent, status, turns, languages, language_levels, categories, category_levels, slot_base, n)
                 CROSS JOIN LATERAL (SELECT m.language_levels[array_position(m.languages, v_conv.language)] AS language_level,
                                            m.category_levels[array_position(m.categories, v_conv.category)] AS skill_level,
                                            p_live[m.slot_base + v_at] AS live, p_max_open[m.slot_base + v_at] AS max_open,
                                            p_last_assigned_at[m.slot_base + v_at] AS last_assigned_at) x
                 CROSS JOIN LATERAL (SELECT routing_ineligibility(m.status, v_conv.channel, x.live, x.max_open,
                                                                  v_conv.language, x.language_level, v_plan.require_language,
                                                                  v_conv.category, x.skill_level, v_plan.require_skill) AS note) r
                 ORDER BY routing_rank(v_plan.strategy, r.note IS NULL, m.agent_id = v_previous, m.turns, x.language_level,
                                       x.skill_level, x.live, x.max_open, x.last_assigned_at, m.agent_id)) k;
        v_agent := NULL;
        v_busy := false;
        IF v_plan.strategy <> 'manual' AND v_eligible IS NOT NULL THEN
            FOREACH v_idx IN ARRAY v_eligible LOOP
                v_member := p_members[v_idx];
                v_slot := v_member.slot_base + v_at;
                IF NOT p_locked[v_slot] THEN
                    SELECT c.live, c.max_open INTO v_live, v_max FROM agent_capacity c
                     WHERE c.agent_id = v_member.agent_id AND c.channel = v_conv.channel FOR UPDATE SKIP LOCKED;
                    IF NOT FOUND THEN
                        v_busy := true;
                        EXIT WHEN v_member.agent_id = v_previous OR v_plan.strategy NOT IN ('least_loaded', 'skills');
                        CONTINUE;
                    END IF;
                    p_locked[v_slot] := true; p_live[v_slot] := v_live; p_max_open[v_slot] := v_max;
                END IF;
                IF p_live[v_slot] < p_max_open[v_slot] THEN v_agent := v_member.agent_id; EXIT; END IF;
                v_list.notes[array_position(v_list.ids, v_member.agent_id)] := 'filled up meanwhile';
            END LOOP;
            IF v_agent IS NULL AND v_busy THEN
                p_state[v_i] := 'deferred';
                CONTINUE;
            END IF;
            IF v_agent IS NOT NULL THEN
                p_live[v_slot] := p_live[v_slot] + 1;
                p_last_assigned_at[v_slot] := now();
                IF v_plan.strategy = 'round_robin' THEN
                    p_members[v_idx].turns := v_member.turns + 1;
                END IF;
            END IF;
        END IF;
        p_state[v_i] := 'decided';
        p_agents[v_i] := v_agent;
        p_lists[v_i] := v_list;
        p_reasons[v_i] := routing_reason(v_plan, v_agent, v_previous, v_conv.last_agent_id, v_eligible IS NOT NULL);
    END LOOP;
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
CREATE OR REPLACE FUNCTION route_conversations(p_ids bigint[], p_cause text DEFAULT 'route')
RETURNS TABLE (conversation_id bigint, outcome text, decision_id bigint, team_id bigint, agent_id bigint,
               rule_name text, strategy text, reason text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_convs conversations[]; v_plans routing_plan[]; v_previous bigint[]; v_customers bigint[];
    v_channels text[]; v_rr_teams bigint[]; v_members routing_member[];
    v_live integer[]; v_max_open integer[]; v_last timestamptz[]; v_locked boolean[];
    v_state text[]; v_agents bigint[]; v_reasons text[]; v_lists routing_candidate_list[];
    v_team record;
    v_decided integer[];
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
        v_plans[v_i] := routing_plan_for(v_convs[v_i]);
        v_previous[v_i] := routing_previous_agent(v_convs[v_i], (v_plans[v_i]).strategy);
        v_customers[v_i] := (v_convs[v_i]).customer_id;
    END LOOP;
    v_channels := ARRAY(SELECT DISTINCT c.channel FROM unnest(v_convs) c ORDER BY 1);
    -- Round robin turns are read and taken one team at a time, as in route_conversation; a
    -- team another transaction holds defers its round robin conversations instead of waiting.
    v_rr_teams := ARRAY(SELECT t.id FROM (SELECT DISTINCT (p).team_id AS id FROM unnest(v_plans) p
                                           WHERE (p).strategy = 'round_robin' AND (p).team_id IS NOT NULL ORDER BY 1) t
                         WHERE pg_try_advisory_xact_lock(routing_team_lock_key(t.id)));
    SELECT * INTO v_members, v_live, v_max_open, v_last FROM routing_batch_members(v_convs, v_plans, v_channels);
    v_locked := array_fill(false, ARRAY[coalesce(cardinality(v_live), 0)]);

    -- Team by team (teams share few agents), the most urgent first, then the oldest.
    FOR v_team IN SELECT (v_plans[i]).team_id AS id, array_agg(i ORDER BY (v_plans[i]).priority, (v_convs[i]).id) AS at
                    FROM generate_subscripts(v_convs, 1) i GROUP BY 1 ORDER BY 1 LOOP
        SELECT * INTO v_live, v_max_open, v_last, v_locked, v_state, v_agents, v_reasons, v_lists
          FROM routing_batch_decide_team(v_convs, v_plans, v_previous, v_customers, v_team.at,
                   ARRAY(SELECT v_members[n] FROM generate_subscripts(v_members, 1) n WHERE (v_members[n]).team_id = v_team.id ORDER BY n),
                   v_channels, coalesce(v_team.id = ANY (v_rr_teams), false),
                   v_live, v_max_open, v_last, v_locked, v_state, v_agents, v_reasons, v_lists);
    END LOOP;

    RETURN QUERY
    SELECT (v_convs[i]).id, 'deferred', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM generate_subscripts(v_convs, 1) i
     WHERE v_state[i] = 'deferred';
    v_decided := ARRAY(SELECT i FROM generate_subscripts(v_convs, 1) i WHERE v_state[i] = 'decided' ORDER BY i);
    PERFORM routing_apply(ARRAY(SELECT (v_convs[i]).id FROM unnest(v_decided) WITH ORDINALITY AS d(i, n) ORDER BY n),
                          ARRAY(SELECT v_plans[i] FROM unnest(v_decided) WITH ORDINALITY AS d(i, n) ORDER BY n),
                          ARRAY(SELECT v_agents[i] FROM unnest(v_decided) WITH ORDINALITY AS d(i, n) ORDER BY n));
    RETURN QUERY
    SELECT d.conversation_id, d.outcome, d.id, d.team_id, d.agent_id, d.rule_name, d.strategy, d.reason
      FROM routing_log(ARRAY(SELECT routing_decision((v_convs[i]).id, v_plans[i], v_agents[i], p_cause, v_reasons[i], v_lists[i])
                               FROM unnest(v_decided) WITH ORDINALITY AS d(i, n) ORDER BY n)) d;
END $$;

-- Gives agent p_agent_id waiting conversations of their teams, most urgent and oldest first,
-- while they have capacity and are eligible. Returns how many they got. Safe to run from
-- several workers at once: each conversation is taken with SKIP LOCKED.


-- Its queue lookup must stay on the waiting-conversations index, whatever the statistics said
-- when PL/pgSQL cached the plan. Without JIT: a disabled scan costs 10^10 in the planner's
-- estimate, far past jit_above_cost, and compiling the lookup took 0.9 s for every conversation
-- offered — a sweep giving 47 agents a conversation each held them idle for 40 s.
CREATE OR REPLACE FUNCTION offer_waiting(p_agent_id bigint) RETURNS integer LANGUAGE plpgsql
SET enable_seqscan = off
SET jit = off AS $$
DECLARE
    v_conv      conversations;
    v_plan      routing_plan;
    v_given     integer := 0;
    v_capacity  agent_capacity;
BEGIN
    -- One offer per agent at a time. Every routing process hears the same notification and offers
    -- to the same agent at once; two such transactions locked the agent's capacity rows per
    -- channel in the order their conversations came, deadlocked, and each deadlock cost a second
    -- (deadlock_timeout) and the offer. The second one here waits, then finds what is left.
    PERFORM pg_advisory_xact_lock(hashtextextended('switchboard.offer_waiting:' || current_schema(), p_agent_id));
    IF NOT EXISTS (SELECT 1 FROM agents WHERE id = p_agent_id AND status = 'online') THEN
        RETURN 0;
    END IF;
    LOOP
        SELECT c.* INTO v_conv
          FROM team_members tm
          JOIN conversations c ON c.team_id = tm.team_id AND c.status = 'open' AND c.agent_id IS NULL
          JOIN agent_capacity cap ON cap.agent_id = tm.agent_id AND cap.channel = c.channel AND cap.live < cap.max_open
          CROSS JOIN routing_settings s
          LEFT JOIN routing_rules r ON r.id = c.routing_rule_id
         WHERE tm.agent_id = p_agent_id
           AND c.routing_strategy IS DISTINCT FROM 'manual' AND c.routed_at IS NOT NULL
           AND (NOT coalesce(r.require_language, s.require_language) OR c.language = 'unknown'
                OR EXISTS (SELECT 1 FROM agent_skills k WHERE k.agent_id = p_agent_id AND k.kind = 'language' AND k.value = c.language))
           AND (NOT coalesce(r.require_skill, s.require_skill) OR c.category IS NULL
                OR EXISTS (SELECT 1 FROM agent_skills k WHERE k.agent_id = p_agent_id AND k.kind = 'category' AND k.value = c.category))
         ORDER BY c.priority, c.created_at, c.id
         LIMIT 1
           FOR UPDATE OF c SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        SELECT * INTO v_capacity FROM agent_capacity
         WHERE agent_id = p_agent_id AND channel = v_conv.channel AND live < max_open FOR UPDATE;
        EXIT WHEN NOT FOUND;
        v_plan := routing_plan_of(v_conv);
        UPDATE conversations SET agent_id = p_agent_id, assigned_at = now(), updated_at = now() WHERE id = v_conv.id;
        PERFORM routing_count_turn(v_plan, p_agent_id);
        PERFORM routing_record(v_conv.id, v_plan, p_agent_id, 'offer',
                               'offered from the team queue: the agent came online or freed capacity',
                               ROW(ARRAY[p_agent_id], ARRAY[NULL::text], ARRAY[v_capacity.live], ARRAY[v_capacity.max_open]));
        v_given := v_given + 1;
    END LOOP;
    RETURN v_given;
END $$;

-- After a rule change: every waiting conversation is routed again under the new rules.
-- Returns how many route jobs were requested.
CREATE OR REPLACE FUNCTION reroute_waiting() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    SELECT array_agg(id) INTO v_ids FROM conversations
     WHERE status = 'open' AND agent_id IS NULL AND routed_at IS NOT NULL AND NOT team_pinned;
    IF v_ids IS NOT NULL THEN
        PERFORM request_route(VARIADIC v_ids);
    END IF;
    RETURN coalesce(cardinality(v_ids), 0);
END $$;

-- Where the last p_last routed conversations would go under the rules as changed by p_enable
-- (rules to treat as enabled, e.g. a new rule inserted with enabled = false) and p_disable,
-- next to where they went. Changes nothing.
CREATE OR REPLACE FUNCTION routing_dry_run(p_last integer DEFAULT 100, p_enable bigint[] DEFAULT '{}', p_disable bigint[] DEFAULT '{}')
RETURNS TABLE (conversation_id bigint, channel text, language text, category text,
               current_rule text, current_team text, current_agent text,
               rule text, team text, priority smallint, strategy text, first_choice text, changed boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_last IS NULL OR p_last < 1 THEN
        RAISE EXCEPTION 'routing_dry_run: p_last must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT c.id, c.channel, c.language, c.category,
           coalesce(cr.name, CASE WHEN c.routed_at IS NULL THEN NULL ELSE 'default' END), ct.name, ca.name,
           p.rule_name, pt.name, p.priority, p.strategy,
           (SELECT k.agent FROM routing_candidates(p.team_id, c.channel, c.language, c.category, p.require_language, p.require_skill) k
             WHERE k.eligible ORDER BY k.live::numeric / nullif(k.max_open, 0), k.agent_id LIMIT 1),
           p.rule_id IS DISTINCT FROM c.routing_rule_id OR p.team_id IS DISTINCT FROM c.team_id
      FROM (SELECT * FROM conversations x WHERE x.routed_at IS NOT NULL ORDER BY x.routed_at DESC, x.id DESC LIMIT p_last) c
      CROSS JOIN LATERAL routing_match(c, p_enable, p_disable) p
      LEFT JOIN routing_rules cr ON cr.id = c.routing_rule_id
      LEFT JOIN teams ct ON ct.id = c.team_id
      LEFT JOIN agents ca ON ca.id = c.agent_id
      LEFT JOIN teams pt ON pt.id = p.team_id
     ORDER BY c.routed_at DESC, c.id DESC;
END $$;

-- The sweep behind the routing notifications (every routing process, every --routing-sweep
-- seconds). It asks only online agents with room on the channel of something waiting in their
-- team (asking every online agent with room took 2.8 s a call with 200 agents, in one long
-- transaction that held back the cleanup of the job queue's dead rows), and one process sweeps
-- at a time (another sweeping right now would find the same conversations).
CREATE OR REPLACE FUNCTION offer_waiting_all() RETURNS integer LANGUAGE plpgsql
SET enable_seqscan = off
SET jit = off AS $$
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
