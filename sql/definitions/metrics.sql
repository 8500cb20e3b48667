-- Service metrics: what every figure of the report is built from, one row per conversation,
-- and the same summed per day. Every definition is in docs/metrics.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- The spells a customer waited on the shop in conversation p_conversation_id: from a customer
-- message that follows a reply (or starts the conversation) to the next human reply, or to the
-- resolution when none came (or to now, while it is unresolved). Bot answers do not end a wait.
CREATE OR REPLACE FUNCTION conversation_waits(p_conversation_id bigint, p_resolved_at timestamptz)
RETURNS TABLE (waited_from timestamptz, waited_to timestamptz) LANGUAGE sql STABLE AS $$
    WITH ordered AS (
        SELECT m.created_at, m.author_kind,
               lag(m.author_kind) OVER (ORDER BY m.created_at, m.id) AS previous_author
          FROM messages m
         WHERE m.conversation_id = p_conversation_id AND m.author_kind IN ('customer', 'agent')
    )
    SELECT o.created_at,
           coalesce((SELECT min(r.created_at) FROM messages r
                      WHERE r.conversation_id = p_conversation_id AND r.author_kind = 'agent' AND r.created_at >= o.created_at),
                    p_resolved_at, now())
      FROM ordered o
     WHERE o.author_kind = 'customer' AND o.previous_author IS DISTINCT FROM 'customer'
$$;

-- One row per conversation with the moments and facts the metrics use. Durations are in
-- seconds, each in calendar time and in business time (`_business_s`: the open hours of the
-- store's report calendar, else of the conversation's SLA policy calendar, else calendar time).
CREATE OR REPLACE VIEW conversation_facts AS
SELECT c.id AS conversation_id, c.store_id, c.team_id, c.agent_id, c.channel, c.category, c.language, c.status,
       c.created_at,
       (c.created_at AT TIME ZONE s.time_zone)::date AS day,
       m.first_customer_at, m.first_human_reply_at, m.first_bot_reply_at, m.agent_replies, m.bot_replies,
       c.resolved_at, c.reopen_count,
       cal.calendar_id,
       extract(epoch FROM m.first_human_reply_at - m.first_customer_at)::float8 AS first_response_s,
       extract(epoch FROM business_time_between(cal.calendar_id, m.first_customer_at, m.first_human_reply_at))::float8 AS first_response_business_s,
       extract(epoch FROM m.first_bot_reply_at - m.first_customer_at)::float8 AS first_bot_response_s,
       extract(epoch FROM c.resolved_at - coalesce(m.first_customer_at, c.created_at))::float8 AS resolution_s,
       extract(epoch FROM business_time_between(cal.calendar_id, coalesce(m.first_customer_at, c.created_at), c.resolved_at))::float8
           AS resolution_business_s,
       CASE WHEN c.resolved_at IS NOT NULL THEN w.waited_s END AS requester_wait_s,
       CASE WHEN c.resolved_at IS NOT NULL THEN w.waited_business_s END AS requester_wait_business_s,
       c.resolved_at IS NOT NULL AND m.agent_replies <= 1 AND c.reopen_count = 0 AS first_contact_resolved,
       c.reopen_count > 0 AS reopened,
       c.resolved_at IS NOT NULL AND m.bot_replies > 0 AND m.agent_replies = 0 AS bot_deflected,
       CASE WHEN c.first_response_due_at IS NOT NULL AND m.first_human_reply_at IS NOT NULL
            THEN m.first_human_reply_at <= c.first_response_due_at END AS first_response_sla_met,
       CASE WHEN c.resolution_due_at IS NOT NULL AND c.resolved_at IS NOT NULL
            THEN c.resolved_at <= c.resolution_due_at END AS resolution_sla_met
  FROM conversations c
  JOIN stores s ON s.id = c.store_id
  LEFT JOIN sla_policies p ON p.id = c.sla_policy_id
 CROSS JOIN LATERAL (SELECT coalesce(s.report_calendar_id, p.calendar_id) AS calendar_id) cal
 CROSS JOIN LATERAL (
     SELECT min(x.created_at) FILTER (WHERE x.author_kind = 'customer') AS first_customer_at,
            min(x.created_at) FILTER (WHERE x.author_kind = 'agent') AS first_human_reply_at,
            min(x.created_at) FILTER (WHERE x.author_kind = 'bot') AS first_bot_reply_at,
            count(*) FILTER (WHERE x.author_kind = 'agent')::int AS agent_replies,
            count(*) FILTER (WHERE x.author_kind = 'bot')::int AS bot_replies
       FROM messages x WHERE x.conversation_id = c.id) m
 CROSS JOIN LATERAL (
     SELECT coalesce(sum(extract(epoch FROM g.waited_to - g.waited_from)), 0)::float8 AS waited_s,
            coalesce(sum(extract(epoch FROM business_time_between(cal.calendar_id, g.waited_from, g.waited_to))), 0)::float8 AS waited_business_s
       FROM conversation_waits(c.id, c.resolved_at) g) w;

-- The facts summed per day (in the store's time zone) and per store, team, agent, channel,
-- category and language: every column adds up, so any period and any grouping is a sum of rows,
-- and a mean is a sum over a count.
CREATE OR REPLACE VIEW service_metrics_daily AS
SELECT day, store_id, team_id, agent_id, channel, category, language,
       count(*)::int8                                                        AS conversations,
       count(first_response_s)::int8                                         AS responded,
       coalesce(sum(first_response_s), 0)::float8                            AS first_response_s_sum,
       coalesce(sum(first_response_business_s), 0)::float8                   AS first_response_business_s_sum,
       count(first_bot_response_s)::int8                                     AS bot_responded,
       coalesce(sum(first_bot_response_s), 0)::float8                        AS first_bot_response_s_sum,
       count(resolved_at)::int8                                              AS resolved,
       coalesce(sum(resolution_s), 0)::float8                                AS resolution_s_sum,
       coalesce(sum(resolution_business_s), 0)::float8                       AS resolution_business_s_sum,
       coalesce(sum(requester_wait_s), 0)::float8                            AS requester_wait_s_sum,
       coalesce(sum(requester_wait_business_s), 0)::float8                   AS requester_wait_business_s_sum,
       count(*) FILTER (WHERE first_contact_resolved)::int8                  AS first_contact_resolved,
       count(*) FILTER (WHERE reopened)::int8                                AS reopened,
       count(*) FILTER (WHERE bot_deflected)::int8                           AS bot_deflected,
       count(first_response_sla_met)::int8                                   AS first_response_sla_targets,
       count(*) FILTER (WHERE first_response_sla_met)::int8                  AS first_response_sla_met,
       count(resolution_sla_met)::int8                                       AS resolution_sla_targets,
       count(*) FILTER (WHERE resolution_sla_met)::int8                      AS resolution_sla_met
  FROM conversation_facts
 GROUP BY day, store_id, team_id, agent_id, channel, category, language;

-- The headline figures of the conversations that began from p_from (inclusive) to p_to
-- (exclusive) days, in each store's time zone, for store p_store_code (null: every store).
-- Means are over the conversations the figure applies to; rates are fractions of 0–1.
CREATE OR REPLACE FUNCTION service_metrics(p_from date, p_to date, p_store_code text DEFAULT NULL)
RETURNS TABLE (conversations bigint, first_response_mean_s float8, first_response_business_mean_s float8,
               first_bot_response_mean_s float8, resolution_mean_s float8, resolution_business_mean_s float8,
               requester_wait_mean_s float8, requester_wait_business_mean_s float8,
               first_contact_resolution float8, reopen_rate float8, bot_deflection float8,
               first_response_sla_attainment float8, resolution_sla_attainment float8)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(d.conversations), 0)::int8,
           sum(d.first_response_s_sum) / nullif(sum(d.responded), 0),
           sum(d.first_response_business_s_sum) / nullif(sum(d.responded), 0),
           sum(d.first_bot_response_s_sum) / nullif(sum(d.bot_responded), 0),
           sum(d.resolution_s_sum) / nullif(sum(d.resolved), 0),
           sum(d.resolution_business_s_sum) / nullif(sum(d.resolved), 0),
           sum(d.requester_wait_s_sum) / nullif(sum(d.resolved), 0),
           sum(d.requester_wait_business_s_sum) / nullif(sum(d.resolved), 0),
           sum(d.first_contact_resolved)::float8 / nullif(sum(d.resolved), 0),
           sum(d.reopened)::float8 / nullif(sum(d.resolved), 0),
           sum(d.bot_deflected)::float8 / nullif(sum(d.resolved), 0),
           sum(d.first_response_sla_met)::float8 / nullif(sum(d.first_response_sla_targets), 0),
           sum(d.resolution_sla_met)::float8 / nullif(sum(d.resolution_sla_targets), 0)
      FROM service_metrics_daily d
     WHERE d.day >= p_from AND d.day < p_to
       AND (p_store_code IS NULL OR d.store_id = (SELECT id FROM stores WHERE code = p_store_code))
$$;

-- Conversations of store p_store_id not resolved at the end of each day from p_from to p_to
-- (inclusive), in the store's time zone. A conversation reopened and resolved again counts by its
-- last resolution.
CREATE OR REPLACE FUNCTION service_backlog(p_store_id bigint, p_from date, p_to date)
RETURNS TABLE (day date, unresolved bigint) LANGUAGE sql STABLE AS $$
    SELECT d.day::date,
           (SELECT count(*) FROM conversations c
             WHERE c.store_id = p_store_id
               AND c.created_at < ((d.day + interval '1 day')::timestamp AT TIME ZONE s.time_zone)
               AND (c.resolved_at IS NULL OR c.resolved_at >= ((d.day + interval '1 day')::timestamp AT TIME ZONE s.time_zone)))
      FROM stores s, generate_series(p_from, p_to, interval '1 day') AS d(day)
     WHERE s.id = p_store_id
     ORDER BY 1
$$;

-- Surveys summed per day they were queued (in the store's time zone), store, kind, and the
-- surveyed conversation's team, agent, channel, category and language: how many were handed to
-- the notification worker, how many reached the customer (outbox sent), how many were answered,
-- and the counts each score is made of.
CREATE OR REPLACE VIEW survey_metrics_daily AS
SELECT (s.queued_at AT TIME ZONE st.time_zone)::date AS day, s.store_id, s.kind,
       c.team_id, c.agent_id, c.channel, c.category, c.language,
       count(*)::int8                                                          AS queued,
       count(*) FILTER (WHERE o.status = 'sent')::int8                         AS delivered,
       count(s.rating)::int8                                                   AS answered,
       count(*) FILTER (WHERE s.kind IN ('csat', 'post_delivery') AND s.rating >= 4)::int8 AS satisfied,
       count(*) FILTER (WHERE s.kind = 'nps' AND s.rating >= 9)::int8          AS promoters,
       count(*) FILTER (WHERE s.kind = 'nps' AND s.rating <= 6)::int8          AS detractors,
       coalesce(sum(s.rating), 0)::int8                                        AS rating_sum
  FROM surveys s
  JOIN stores st ON st.id = s.store_id
  LEFT JOIN outbox o ON o.id = s.outbox_id
  LEFT JOIN conversations c ON c.id = s.conversation_id
 WHERE s.queued_at IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- The survey scores of the surveys queued from p_from (inclusive) to p_to (exclusive) days, for
-- store p_store_code (null: every store). CSAT: the share of 4 and 5 among CSAT answers, 0–100.
-- NPS: the share of promoters (9–10) minus that of detractors (0–6), −100 to 100. CES: the mean
-- answer, 1–7. A response rate: answers over surveys that reached the customer.
CREATE OR REPLACE FUNCTION survey_scores(p_from date, p_to date, p_store_code text DEFAULT NULL)
RETURNS TABLE (csat float8, csat_answers bigint, csat_response_rate float8, nps float8, nps_answers bigint,
               nps_response_rate float8, ces float8, ces_answers bigint, ces_response_rate float8)
LANGUAGE sql STABLE AS $$
    SELECT 100.0 * sum(d.satisfied) FILTER (WHERE d.kind = 'csat') / nullif(sum(d.answered) FILTER (WHERE d.kind = 'csat'), 0),
           coalesce(sum(d.answered) FILTER (WHERE d.kind = 'csat'), 0)::int8,
           sum(d.answered) FILTER (WHERE d.kind = 'csat')::float8 / nullif(sum(d.delivered) FILTER (WHERE d.kind = 'csat'), 0),
           100.0 * (sum(d.promoters) FILTER (WHERE d.kind = 'nps') - sum(d.detractors) FILTER (WHERE d.kind = 'nps'))
                 / nullif(sum(d.answered) FILTER (WHERE d.kind = 'nps'), 0),
           coalesce(sum(d.answered) FILTER (WHERE d.kind = 'nps'), 0)::int8,
           sum(d.answered) FILTER (WHERE d.kind = 'nps')::float8 / nullif(sum(d.delivered) FILTER (WHERE d.kind = 'nps'), 0),
           sum(d.rating_sum) FILTER (WHERE d.kind = 'ces')::float8 / nullif(sum(d.answered) FILTER (WHERE d.kind = 'ces'), 0),
           coalesce(sum(d.answered) FILTER (WHERE d.kind = 'ces'), 0)::int8,
           sum(d.answered) FILTER (WHERE d.kind = 'ces')::float8 / nullif(sum(d.delivered) FILTER (WHERE d.kind = 'ces'), 0)
      FROM survey_metrics_daily d
     WHERE d.day >= p_from AND d.day < p_to
       AND (p_store_code IS NULL OR d.store_id = (SELECT id FROM stores WHERE code = p_store_code))
$$;
