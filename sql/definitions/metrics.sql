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

-- service_facts (migration 0028) keeps conversation_facts' rows, recomputed for the conversations
-- named in service_facts_stale. Whatever changes a conversation's facts appends its id there in
-- the same transaction: its row, its messages, its SLA policy's or store's calendar, its store's
-- time zone.
CREATE OR REPLACE FUNCTION service_facts_mark(p_conversation_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO service_facts_stale (conversation_id) SELECT DISTINCT u FROM unnest(p_conversation_ids) u WHERE u IS NOT NULL
$$;

-- The conversations whose business time is counted in calendar p_calendar_ids (the store's
-- report calendar, else the SLA policy's).
CREATE OR REPLACE FUNCTION service_facts_mark_calendars(p_calendar_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO service_facts_stale (conversation_id)
    SELECT c.id FROM conversations c JOIN stores s ON s.id = c.store_id LEFT JOIN sla_policies p ON p.id = c.sla_policy_id
     WHERE coalesce(s.report_calendar_id, p.calendar_id) = ANY (p_calendar_ids)
$$;

-- Statement triggers with transition tables: a batch of messages marks each conversation once.
-- One function for every table and event; only the branch of the firing event is planned.
CREATE OR REPLACE FUNCTION service_facts_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_TABLE_NAME = 'messages' THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM service_facts_mark(ARRAY(SELECT conversation_id FROM new_rows WHERE author_kind <> 'system'));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM service_facts_mark(ARRAY(SELECT conversation_id FROM old_rows WHERE author_kind <> 'system'));
        END IF;
    ELSIF TG_TABLE_NAME = 'conversations' THEN
        PERFORM service_facts_mark(ARRAY(SELECT id FROM new_rows));
    ELSIF TG_TABLE_NAME IN ('business_hours', 'business_holidays') THEN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM service_facts_mark_calendars(ARRAY(SELECT DISTINCT calendar_id FROM new_rows));
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            PERFORM service_facts_mark_calendars(ARRAY(SELECT DISTINCT calendar_id FROM old_rows));
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER service_facts_messages_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_messages_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_conversations_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_hours_insert AFTER INSERT ON business_hours
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_hours_update AFTER UPDATE ON business_hours
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_hours_delete AFTER DELETE ON business_hours
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_holidays_insert AFTER INSERT ON business_holidays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_holidays_update AFTER UPDATE ON business_holidays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();
CREATE OR REPLACE TRIGGER service_facts_holidays_delete AFTER DELETE ON business_holidays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_facts_changed();

-- Row triggers where a row's own columns say whether the facts change. Ingest updates a
-- conversation's counters with every message; those updates do not mark it here (the message does).
CREATE OR REPLACE FUNCTION service_facts_row_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_TABLE_NAME = 'conversations' THEN
        PERFORM service_facts_mark(ARRAY[NEW.id]);
    ELSIF TG_TABLE_NAME = 'messages' THEN
        PERFORM service_facts_mark(ARRAY[OLD.conversation_id, NEW.conversation_id]);
    ELSIF TG_TABLE_NAME = 'stores' THEN
        INSERT INTO service_facts_stale (conversation_id) SELECT id FROM conversations WHERE store_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'sla_policies' THEN
        INSERT INTO service_facts_stale (conversation_id) SELECT id FROM conversations WHERE sla_policy_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'business_calendars' THEN
        PERFORM service_facts_mark_calendars(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER service_facts_conversations_update AFTER UPDATE ON conversations
    FOR EACH ROW WHEN ((OLD.store_id, OLD.team_id, OLD.agent_id, OLD.channel, OLD.category, OLD.language, OLD.status,
                        OLD.created_at, OLD.resolved_at, OLD.reopen_count, OLD.sla_policy_id, OLD.first_response_due_at,
                        OLD.resolution_due_at)
                       IS DISTINCT FROM
                       (NEW.store_id, NEW.team_id, NEW.agent_id, NEW.channel, NEW.category, NEW.language, NEW.status,
                        NEW.created_at, NEW.resolved_at, NEW.reopen_count, NEW.sla_policy_id, NEW.first_response_due_at,
                        NEW.resolution_due_at))
    EXECUTE FUNCTION service_facts_row_changed();
-- Messages are updated seldom, and mostly in columns the facts do not read (the Message-ID the
-- sender keeps): a row trigger whose condition costs nothing when it is false.
CREATE OR REPLACE TRIGGER service_facts_messages_update AFTER UPDATE ON messages
    FOR EACH ROW WHEN ((OLD.conversation_id, OLD.author_kind, OLD.created_at) IS DISTINCT FROM
                       (NEW.conversation_id, NEW.author_kind, NEW.created_at))
    EXECUTE FUNCTION service_facts_row_changed();
CREATE OR REPLACE TRIGGER service_facts_stores_update AFTER UPDATE OF time_zone, report_calendar_id ON stores
    FOR EACH ROW WHEN ((OLD.time_zone, OLD.report_calendar_id) IS DISTINCT FROM (NEW.time_zone, NEW.report_calendar_id))
    EXECUTE FUNCTION service_facts_row_changed();
CREATE OR REPLACE TRIGGER service_facts_sla_policies_update AFTER UPDATE OF calendar_id ON sla_policies
    FOR EACH ROW WHEN (OLD.calendar_id IS DISTINCT FROM NEW.calendar_id) EXECUTE FUNCTION service_facts_row_changed();
CREATE OR REPLACE TRIGGER service_facts_calendars_update AFTER UPDATE OF time_zone ON business_calendars
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone) EXECUTE FUNCTION service_facts_row_changed();

-- The trigger functions run as their owner (whoever writes messages or conversations need not
-- be allowed to write the marks), so they resolve names in this schema only.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION service_facts_changed() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION service_facts_row_changed() SET search_path = %I, pg_temp', current_schema());
END $$;

-- Recomputes the rows of the conversations of the oldest stale marks, up to p_limit of them, and
-- removes every mark of theirs it can see; returns how many conversations it recomputed. A mark
-- it removes was committed with a change the new row includes; a mark not yet committed stays
-- for the next call. One call at a time (a transaction lock): two could otherwise write a
-- conversation's row from two snapshots, the older one last. service_facts has the columns of
-- conversation_facts, in its order.
CREATE OR REPLACE FUNCTION service_facts_refresh(p_limit integer DEFAULT 5000) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_taken bigint[];
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended('switchboard.service_facts_refresh:' || current_schema(), 0)) THEN
        RETURN 0;
    END IF;
    WITH chosen AS (
        SELECT DISTINCT conversation_id FROM (SELECT conversation_id FROM service_facts_stale ORDER BY id LIMIT p_limit) oldest
    ), taken AS (
        DELETE FROM service_facts_stale WHERE conversation_id IN (SELECT conversation_id FROM chosen)
        RETURNING conversation_id
    )
    SELECT array_agg(DISTINCT conversation_id) INTO v_taken FROM taken;
    -- A later snapshot than the marks' sees at least what they were written with; a change
    -- committed in between keeps its own mark and is recomputed again by the next call.
    DELETE FROM service_facts WHERE conversation_id = ANY (v_taken);
    INSERT INTO service_facts SELECT * FROM conversation_facts WHERE conversation_id = ANY (v_taken);
    RETURN coalesce(cardinality(v_taken), 0);
END $$;

-- conversation_facts as of now: the kept row of every conversation not marked stale, computed
-- afresh for those that are. Equal to conversation_facts at every moment. When nothing is marked
-- (an uncorrelated test, evaluated once) the kept rows are read as they are, without looking
-- each one up among the marks.
CREATE OR REPLACE VIEW service_facts_current AS
SELECT f.* FROM service_facts f
 WHERE NOT EXISTS (SELECT 1 FROM service_facts_stale)
UNION ALL
SELECT f.* FROM service_facts f
 WHERE EXISTS (SELECT 1 FROM service_facts_stale)
   AND NOT EXISTS (SELECT 1 FROM service_facts_stale s WHERE s.conversation_id = f.conversation_id)
UNION ALL
SELECT * FROM conversation_facts cf WHERE cf.conversation_id IN (SELECT conversation_id FROM service_facts_stale);

-- The facts the metrics read: the kept ones (service_facts_current), or with p_recompute every
-- row computed afresh from the conversations and their messages (conversation_facts), which is
-- what the report is checked and benchmarked against. Inlined by the planner, so a caller's
-- filters on store and day reach the indexes.
CREATE OR REPLACE FUNCTION service_facts_of(p_recompute boolean) RETURNS SETOF service_facts LANGUAGE sql STABLE AS $$
    SELECT * FROM service_facts_current WHERE NOT p_recompute
    UNION ALL
    SELECT * FROM conversation_facts WHERE p_recompute
$$;

-- The facts as columns that add up, one row per conversation: 1 conversation, 1 if responded and
-- the first response's seconds, and so on. Any period and any grouping of them is a sum, and a
-- mean a sum over a count; service_metrics_daily_of(), service_metrics() and the report sum them.
CREATE OR REPLACE FUNCTION service_sums_of(p_recompute boolean)
RETURNS TABLE (day date, store_id bigint, team_id bigint, agent_id bigint, channel text, category text, language text,
               conversations int, responded int, first_response_s_sum float8, first_response_business_s_sum float8,
               bot_responded int, first_bot_response_s_sum float8, resolved int, resolution_s_sum float8,
               resolution_business_s_sum float8, requester_wait_s_sum float8, requester_wait_business_s_sum float8,
               first_contact_resolved int, reopened int, bot_deflected int, first_response_sla_targets int,
               first_response_sla_met int, resolution_sla_targets int, resolution_sla_met int)
LANGUAGE sql STABLE AS $$
SELECT day, store_id, team_id, agent_id, channel, category, language,
       1,
       (first_response_s IS NOT NULL)::int,            coalesce(first_response_s, 0),
       coalesce(first_response_business_s, 0),
       (first_bot_response_s IS NOT NULL)::int,        coalesce(first_bot_response_s, 0),
       (resolved_at IS NOT NULL)::int,                 coalesce(resolution_s, 0),
       coalesce(resolution_business_s, 0),             coalesce(requester_wait_s, 0),
       coalesce(requester_wait_business_s, 0),
       first_contact_resolved::int,                    reopened::int,
       bot_deflected::int,
       (first_response_sla_met IS NOT NULL)::int,      coalesce(first_response_sla_met, false)::int,
       (resolution_sla_met IS NOT NULL)::int,          coalesce(resolution_sla_met, false)::int
  FROM service_facts_of(p_recompute)
$$;

-- The sums per day (in the store's time zone) and per store, team, agent, channel, category and
-- language.
CREATE OR REPLACE FUNCTION service_metrics_daily_of(p_recompute boolean)
RETURNS TABLE (day date, store_id bigint, team_id bigint, agent_id bigint, channel text, category text, language text,
               conversations int8, responded int8, first_response_s_sum float8, first_response_business_s_sum float8,
               bot_responded int8, first_bot_response_s_sum float8, resolved int8, resolution_s_sum float8,
               resolution_business_s_sum float8, requester_wait_s_sum float8, requester_wait_business_s_sum float8,
               first_contact_resolved int8, reopened int8, bot_deflected int8, first_response_sla_targets int8,
               first_response_sla_met int8, resolution_sla_targets int8, resolution_sla_met int8)
LANGUAGE sql STABLE AS $$
SELECT day, store_id, team_id, agent_id, channel, category, language,
       sum(conversations)::int8, sum(responded)::int8, sum(first_response_s_sum), sum(first_response_business_s_sum),
       sum(bot_responded)::int8, sum(first_bot_response_s_sum), sum(resolved)::int8, sum(resolution_s_sum),
       sum(resolution_business_s_sum), sum(requester_wait_s_sum), sum(requester_wait_business_s_sum),
       sum(first_contact_resolved)::int8, sum(reopened)::int8, sum(bot_deflected)::int8, sum(first_response_sla_targets)::int8,
       sum(first_response_sla_met)::int8, sum(resolution_sla_targets)::int8, sum(resolution_sla_met)::int8
  FROM service_sums_of(p_recompute)
 GROUP BY day, store_id, team_id, agent_id, channel, category, language
$$;

CREATE OR REPLACE VIEW service_metrics_daily AS SELECT * FROM service_metrics_daily_of(false);

-- The headline figures of the conversations that began from p_from (inclusive) to p_to
-- (exclusive) days, in each store's time zone, for store p_store_code (null: every store).
-- Means are over the conversations the figure applies to; rates are fractions of 0–1. With
-- p_recompute, from conversation_facts instead of the kept facts.
CREATE OR REPLACE FUNCTION service_metrics(p_from date, p_to date, p_store_code text DEFAULT NULL, p_recompute boolean DEFAULT false)
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
      FROM service_sums_of(p_recompute) d
     WHERE d.day >= p_from AND d.day < p_to
       AND (p_store_code IS NULL OR d.store_id = (SELECT id FROM stores WHERE code = p_store_code))
$$;

-- Conversations of store p_store_id not resolved at the end of each day from p_from to p_to
-- (inclusive), in the store's time zone. A conversation reopened and resolved again counts by its
-- last resolution. Read as those open when the period begins, plus those begun, minus those
-- resolved, day by day (a conversation is resolved after it begins). p_recompute as for
-- service_metrics().
CREATE OR REPLACE FUNCTION service_backlog(p_store_id bigint, p_from date, p_to date, p_recompute boolean DEFAULT false)
RETURNS TABLE (day date, unresolved bigint) LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_zone  text := (SELECT s.time_zone FROM stores s WHERE s.id = p_store_id);
    v_since timestamptz;
    v_until timestamptz;
    v_open  bigint;
BEGIN
    IF v_zone IS NULL THEN
        RETURN;
    END IF;
    v_since := p_from::timestamp AT TIME ZONE v_zone;
    v_until := (p_to + 1)::timestamp AT TIME ZONE v_zone;
    -- Open when the period begins: not resolved at all, or resolved later; each an index range.
    v_open := (SELECT count(*) FROM service_facts_of(p_recompute) f
                WHERE f.store_id = p_store_id AND f.resolved_at IS NULL AND f.created_at < v_since)
            + (SELECT count(*) FROM service_facts_of(p_recompute) f
                WHERE f.store_id = p_store_id AND f.resolved_at >= v_since AND f.created_at < v_since);
    RETURN QUERY
    WITH begun AS (
        SELECT f.day, count(*) AS n FROM service_facts_of(p_recompute) f
         WHERE f.store_id = p_store_id AND f.day >= p_from AND f.day <= p_to GROUP BY 1
    ), resolved AS (
        SELECT (f.resolved_at AT TIME ZONE v_zone)::date AS day, count(*) AS n FROM service_facts_of(p_recompute) f
         WHERE f.store_id = p_store_id AND f.resolved_at >= v_since AND f.resolved_at < v_until GROUP BY 1
    )
    SELECT d.day::date, v_open + sum(coalesce(begun.n, 0) - coalesce(resolved.n, 0)) OVER (ORDER BY d.day)::int8
      FROM generate_series(p_from, p_to, interval '1 day') AS d(day)
      LEFT JOIN begun ON begun.day = d.day::date
      LEFT JOIN resolved ON resolved.day = d.day::date
     ORDER BY 1;
END $$;

-- The surveys queued from day p_from (inclusive) to p_to (exclusive), in their store's time zone,
-- one row each with columns that add up: 1 if it reached the customer (its outbox row sent), 1 if
-- answered, 1 if satisfied (CSAT or post-delivery 4–5), a promoter (NPS 9–10) or a detractor
-- (NPS 0–6), and the rating. Only the period's surveys are read (a day either side in UTC covers
-- every time zone).
CREATE OR REPLACE FUNCTION survey_sums_of(p_from date, p_to date)
RETURNS TABLE (survey_id bigint, day date, store_id bigint, kind text, conversation_id bigint,
               delivered int, answered int, satisfied int, promoters int, detractors int, rating_sum int)
LANGUAGE sql STABLE AS $$
SELECT s.id, (s.queued_at AT TIME ZONE st.time_zone)::date, s.store_id, s.kind, s.conversation_id,
       (o.status IS NOT DISTINCT FROM 'sent')::int,
       (s.rating IS NOT NULL)::int,
       (s.kind IN ('csat', 'post_delivery') AND s.rating >= 4)::int,
       (s.kind = 'nps' AND s.rating >= 9)::int,
       (s.kind = 'nps' AND s.rating <= 6)::int,
       coalesce(s.rating, 0)
  FROM surveys s
  JOIN stores st ON st.id = s.store_id
  -- A survey's message is always of purpose surveys; saying so lets its status come from a small index.
  LEFT JOIN outbox o ON o.id = s.outbox_id AND o.purpose = 'surveys'
 WHERE s.queued_at IS NOT NULL
   AND s.queued_at >= (p_from::timestamp - interval '1 day') AT TIME ZONE 'UTC'
   AND s.queued_at < (p_to::timestamp + interval '1 day') AT TIME ZONE 'UTC'
   AND (s.queued_at AT TIME ZONE st.time_zone)::date >= p_from AND (s.queued_at AT TIME ZONE st.time_zone)::date < p_to
$$;

-- Those sums per day queued, store, kind, and the surveyed conversation's team, agent, channel,
-- category and language (queued: how many were handed to the notification worker);
-- survey_metrics_daily holds every day.
CREATE OR REPLACE FUNCTION survey_metrics_daily_of(p_from date, p_to date)
RETURNS TABLE (day date, store_id bigint, kind text, team_id bigint, agent_id bigint, channel text, category text, language text,
               queued int8, delivered int8, answered int8, satisfied int8, promoters int8, detractors int8, rating_sum int8)
LANGUAGE sql STABLE AS $$
SELECT f.day, f.store_id, f.kind, c.team_id, c.agent_id, c.channel, c.category, c.language,
       count(*)::int8, sum(f.delivered)::int8, sum(f.answered)::int8, sum(f.satisfied)::int8, sum(f.promoters)::int8,
       sum(f.detractors)::int8, sum(f.rating_sum)::int8
  FROM survey_sums_of(p_from, p_to) f
  LEFT JOIN conversations c ON c.id = f.conversation_id
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

CREATE OR REPLACE VIEW survey_metrics_daily AS SELECT * FROM survey_metrics_daily_of('-infinity', 'infinity');

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
      FROM survey_sums_of(p_from, p_to) d
     WHERE p_store_code IS NULL OR d.store_id = (SELECT id FROM stores WHERE code = p_store_code)
$$;
