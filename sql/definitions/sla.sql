-- SLA breaches and their escalation, and the attainment view. See docs/routing.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Marks every first-response, next-response and resolution breach due by now, once each, and
-- escalates per the conversation's SLA policy: priority up one step, move to the escalation
-- team (routing picks an agent there), alert mail to the policy's address or the team's
-- supervisor. Run every minute by the leader's schedule (job 'sla_check', installed by routing
-- workers at start); returns the
-- number of breaches marked.
CREATE OR REPLACE FUNCTION check_sla_breaches() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_breach  record;
    v_count   integer := 0;
BEGIN
    FOR v_breach IN
        WITH fr AS (
            UPDATE conversations SET first_response_breached_at = now()
             WHERE first_response_at IS NULL AND first_response_breached_at IS NULL AND first_response_due_at < now()
               AND status IN ('open', 'pending')
            RETURNING id, 'first_response'::text AS kind, first_response_due_at AS due_at),
        nr AS (
            UPDATE conversations SET next_response_breached_at = now()
             WHERE next_response_breached_at IS NULL AND next_response_due_at < now() AND status IN ('open', 'pending')
            RETURNING id, 'next_response'::text AS kind, next_response_due_at AS due_at),
        res AS (
            UPDATE conversations SET resolution_breached_at = now()
             WHERE resolved_at IS NULL AND resolution_breached_at IS NULL AND resolution_due_at < now()
               AND status IN ('open', 'pending')
            RETURNING id, 'resolution'::text AS kind, resolution_due_at AS due_at)
        SELECT * FROM fr UNION ALL SELECT * FROM nr UNION ALL SELECT * FROM res ORDER BY id
    LOOP
        v_count := v_count + 1;
        PERFORM escalate_sla_breach(v_breach.id, v_breach.kind, v_breach.due_at);
    END LOOP;
    RETURN v_count;
END $$;

CREATE OR REPLACE FUNCTION escalate_sla_breach(p_conversation_id bigint, p_kind text, p_due_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv      conversations;
    v_escalated conversations;
    v_plan      routing_plan;
    v_policy    sla_policies;
    v_team      teams;
    v_to        text;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    SELECT * INTO v_policy FROM sla_policies WHERE id = v_conv.sla_policy_id;
    INSERT INTO audit_events (kind, customer_id, conversation_id, detail)
    VALUES ('sla_breached', v_conv.customer_id, v_conv.id,
            jsonb_build_object('target', p_kind, 'due_at', p_due_at, 'policy', v_policy.name));
    IF v_policy.id IS NULL THEN RETURN; END IF;
    IF v_policy.escalate_raise_priority AND v_conv.priority > 1 THEN
        UPDATE conversations SET priority = priority - 1, escalated_at = now(), updated_at = now() WHERE id = v_conv.id;
    END IF;
    IF v_policy.escalation_team_id IS NOT NULL AND v_conv.team_id IS DISTINCT FROM v_policy.escalation_team_id THEN
        UPDATE conversations
           SET team_id = v_policy.escalation_team_id, team_pinned = true, escalated_at = now(),
               last_agent_id = coalesce(agent_id, last_agent_id), agent_id = NULL,
               routing_strategy = (SELECT default_strategy FROM teams WHERE id = v_policy.escalation_team_id),
               updated_at = now()
         WHERE id = v_conv.id
        RETURNING * INTO v_escalated;
        v_plan := routing_plan_of(v_escalated);
        v_plan.rule_name := 'escalation';
        PERFORM routing_record(v_conv.id, v_plan, NULL, 'escalation',
                               format('SLA %s target missed (due %s): moved to the escalation team', p_kind, p_due_at), NULL);
        IF v_conv.status = 'open' THEN PERFORM request_route(v_conv.id); END IF;
    END IF;
    SELECT * INTO v_team FROM teams WHERE id = coalesce(v_policy.escalation_team_id, v_conv.team_id);
    v_to := coalesce(v_policy.alert_email, v_team.supervisor_email);
    IF v_to IS NOT NULL THEN
        INSERT INTO outbox (store_id, conversation_id, kind, purpose, channel, locale, recipient, subject, body_text, idempotency_key)
        VALUES (v_conv.store_id, v_conv.id, 'sla_alert', 'internal', 'email', 'en', v_to,
                format('SLA breach: conversation %s missed its %s target', v_conv.id, replace(p_kind, '_', ' ')),
                format('Conversation %s (%s, priority %s, team %s) missed its %s target, due %s, under SLA policy %s.',
                       v_conv.id, v_conv.channel, v_conv.priority, coalesce(v_team.name, '-'), replace(p_kind, '_', ' '),
                       p_due_at, v_policy.name),
                format('sla:%s:%s:%s', v_conv.id, p_kind, extract(epoch FROM p_due_at)))
        ON CONFLICT (idempotency_key) DO NOTHING;
    END IF;
END $$;

-- SLA attainment per team and day: of the conversations whose target fell due (or was met)
-- that day, how many were met. Sum the met and breached columns for weeks or months.
CREATE OR REPLACE VIEW sla_attainment AS
WITH measured AS (
    SELECT c.team_id, 'first_response'::text AS target, date_trunc('day', c.first_response_due_at) AS period,
           coalesce(c.first_response_at <= c.first_response_due_at, false) AS met,
           coalesce(c.first_response_at > c.first_response_due_at, c.first_response_due_at < now()) AS breached
      FROM conversations c WHERE c.first_response_due_at IS NOT NULL
    UNION ALL
    SELECT c.team_id, 'resolution', date_trunc('day', c.resolution_due_at),
           coalesce(c.resolved_at <= c.resolution_due_at, false),
           coalesce(c.resolved_at > c.resolution_due_at, c.resolution_due_at < now())
      FROM conversations c WHERE c.resolution_due_at IS NOT NULL
)
SELECT m.team_id, t.name AS team, m.period, m.target,
       count(*) FILTER (WHERE m.met) AS met,
       count(*) FILTER (WHERE m.breached) AS breached,
       count(*) FILTER (WHERE NOT m.met AND NOT m.breached) AS running,
       round(100.0 * count(*) FILTER (WHERE m.met) / nullif(count(*) FILTER (WHERE m.met OR m.breached), 0), 1) AS attainment_pct
  FROM measured m LEFT JOIN teams t ON t.id = m.team_id
 GROUP BY m.team_id, t.name, m.period, m.target;
