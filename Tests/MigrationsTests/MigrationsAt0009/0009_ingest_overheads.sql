-- Ingest's per-batch overheads, and two plans that grew with the customers table.
--
-- Profiled over a `bench ingest` run (perf; pg_stat_statements with track = all):
-- * order_number_candidates() is a SQL function that cannot be inlined (its body has a
--   subquery), so every batch parsed and planned it again and every message started an executor
--   for it: 6 % of PostgreSQL's CPU time. order_numbers_in() is inlined into the statement.
-- * The statements that read the function's arguments or settings were planned anew on every
--   call (custom plans): 4 %.
-- * The updates of customers' names and locales joined the batch to customers with a filter on
--   `name IS NULL` / `preferred_locale IS NULL`. Few customers match, so once the table was
--   analyzed the planner read its whole primary key and filtered: 7 ms a batch at 25,000
--   customers, growing with the table. They now look the batch's customers up by id.
-- ingest_batch's time per message, five interleaved pairs of runs: 0.41–0.51 ms before,
-- 0.38–0.44 ms after (9 % less on average).

-- The order numbers a message names: tokens such as 1001, #1001 or SB-2001 in the subject and
-- text, the web form's order_number, each also upper-cased.
CREATE FUNCTION order_numbers_in(m jsonb) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT v FROM (
        SELECT x[1] AS t
          FROM regexp_matches(coalesce(nullif(m->>'subject', '') || E'\n', '') || coalesce(m->>'text', ''),
                              '#?\m([A-Za-z]{0,4}-?[0-9]{3,12})\M', 'g') AS x
        UNION ALL
        SELECT ltrim(btrim(m->>'order_number'), '#') WHERE nullif(btrim(m->>'order_number'), '') IS NOT NULL
    ) AS found, LATERAL (VALUES (t), (upper(t))) AS variants(v)
$$;

CREATE OR REPLACE FUNCTION order_number_candidates(m jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY(SELECT n FROM order_numbers_in(m) AS n)
$$;

CREATE OR REPLACE FUNCTION ingest_batch(p_ids bigint[], p_messages jsonb[], p_wait boolean DEFAULT true)
RETURNS TABLE (o_inbound_id bigint, o_outcome text, o_conversation_id bigint, o_message_id bigint, o_customer_id bigint,
               o_answer_intent text, o_answer_locale text, o_answer_template text, o_answer_context jsonb)
LANGUAGE plpgsql
-- The scratch table has no statistics, so the planner guesses it large: it would hash whole
-- tables and compile plans with JIT, where a few dozen index lookups do (0006: nor scan them).
SET jit = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_seqscan = off
-- Every lookup is by key, so a custom plan is never better; re-planning the statements that
-- read the arguments or settings cost more than running them.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_settings ingest_settings;
    v_item     record;
    v_taken    bigint;
BEGIN
    IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_messages) THEN
        RAISE EXCEPTION 'ingest_batch: % ids but % messages', cardinality(p_ids), cardinality(p_messages);
    END IF;
    -- Per-session scratch space (no WAL, emptied at commit).
    IF to_regclass('pg_temp.ingest_work') IS NULL THEN
        CREATE TEMP TABLE ingest_work (
            ord int, inbound_id bigint, m jsonb, store_id bigint, external_id text, customer_id bigint,
            channel text, thread_key text, language text, match_text text, subject text, fast boolean,
            conversation_id bigint, placement text, message_id bigint, needs_category boolean, linked_order_id bigint,
            category text, category_score numeric, intent text, intent_score numeric, runner_up numeric,
            urgent boolean NOT NULL DEFAULT false, answer_order_id bigint, answer_locale text, answer_template text,
            answer_context jsonb, skip_reason text, hints text[], deferred boolean NOT NULL DEFAULT false,
            order_candidates text[]
        ) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM ingest_work;
    SELECT * INTO v_settings FROM ingest_settings;
    PERFORM 1 FROM inbound_messages WHERE id = ANY (p_ids) ORDER BY id FOR UPDATE;

    INSERT INTO ingest_work (ord, inbound_id, m, store_id, external_id, customer_id, channel, thread_key, language,
                             match_text, subject, order_candidates, fast)
    SELECT u.ord, u.id, u.m, s.id, i.external_id, idn.owner, u.m->>'channel', nullif(u.m->>'thread_id', ''),
           coalesce(nullif(u.m->>'language', ''), 'unknown'),
           coalesce(u.m->>'match_text', lower(coalesce(nullif(u.m->>'subject', '') || E'\n', '') || coalesce(u.m->>'text', ''))),
           nullif(u.m->>'subject', ''), ARRAY(SELECT n FROM order_numbers_in(u.m) AS n),
           i.status = 'received' AND s.id IS NOT NULL AND u.m->>'automatic_reason' IS NULL
             AND nullif(u.m->>'in_reply_to', '') IS NULL AND coalesce(jsonb_array_length(u.m->'references'), 0) = 0
             AND coalesce(u.m->>'subject', '') !~ '\[#[0-9]{1,18}\]'
             AND idn.wanted > 0 AND idn.owners <= 1
             AND seen.id IS NULL
      FROM unnest(p_ids, p_messages) WITH ORDINALITY AS u(id, m, ord)
      JOIN inbound_messages i ON i.id = u.id
      LEFT JOIN stores s ON CASE WHEN i.store IS NULL THEN s.is_default ELSE s.code = i.store END
      CROSS JOIN LATERAL (
          SELECT count(*) AS wanted, count(ci.id) AS known, min(ci.customer_id) AS owner, count(DISTINCT ci.customer_id) AS owners
            FROM ingest_identity_keys(u.m) AS k
            LEFT JOIN customer_identities ci
              ON ci.store_id = s.id AND ci.kind = k.kind AND ci.platform = k.platform AND ci.value = k.value) AS idn
      -- A message already stored under the provider's id or the Message-ID (index lookups).
      LEFT JOIN LATERAL (
          SELECT mm.id FROM messages mm
           WHERE i.external_id IS NOT NULL AND mm.store_id = s.id AND mm.channel = u.m->>'channel'
             AND mm.external_id = i.external_id AND mm.direction = 'inbound'
          UNION ALL
          SELECT mm.id FROM messages mm
           WHERE nullif(u.m->>'message_id', '') IS NOT NULL AND mm.store_id = s.id
             AND mm.email_message_id = u.m->>'message_id' AND mm.email_message_id IS NOT NULL
          LIMIT 1) AS seen ON true;

    -- One fast message per customer, per identity, per provider id and per Message-ID; the
    -- others follow one by one.
    UPDATE ingest_work w SET fast = false
     WHERE w.ord IN (SELECT ord FROM (
                        SELECT w2.ord, row_number() OVER (PARTITION BY w2.store_id, k.kind, k.platform, k.value ORDER BY w2.ord) AS nth
                          FROM ingest_work w2, LATERAL ingest_identity_keys(w2.m) AS k
                         WHERE w2.fast) AS d
                      WHERE d.nth > 1);
    UPDATE ingest_work SET fast = false
     WHERE ord IN (SELECT ord FROM (
                      SELECT ord, customer_id, external_id, nullif(m->>'message_id', '') AS message_id,
                             row_number() OVER (PARTITION BY customer_id ORDER BY ord) AS nth_of_customer,
                             row_number() OVER (PARTITION BY store_id, channel, external_id ORDER BY ord) AS nth_of_external,
                             row_number() OVER (PARTITION BY store_id, m->>'message_id' ORDER BY ord) AS nth_of_message_id
                        FROM ingest_work WHERE fast) AS d
                    WHERE (d.customer_id IS NOT NULL AND d.nth_of_customer > 1) OR (d.external_id IS NOT NULL AND d.nth_of_external > 1)
                       OR (d.message_id IS NOT NULL AND d.nth_of_message_id > 1));

    -- A customer another transaction is ingesting right now: unless told to wait, their messages
    -- are handed back (outcome 'deferred') for the next batch instead of holding this one up.
    IF p_wait THEN
        PERFORM lock_customer(customer_id) FROM (SELECT customer_id FROM ingest_work WHERE fast AND customer_id IS NOT NULL ORDER BY customer_id) AS c;
    ELSE
        UPDATE ingest_work SET fast = false, deferred = true
         WHERE fast AND customer_id IS NOT NULL
           AND NOT pg_try_advisory_xact_lock(hashtextextended('switchboard.customer', customer_id));
        UPDATE ingest_work w SET deferred = true
         WHERE NOT w.fast AND NOT w.deferred
           AND w.customer_id IN (SELECT customer_id FROM ingest_work WHERE deferred);
    END IF;

    -- New customers, and the identities not seen before. An identity another transaction has
    -- just taken means a merge to do: the whole batch is tried again and sees it.
    UPDATE ingest_work SET customer_id = nextval(pg_get_serial_sequence('customers', 'id'))
     WHERE fast AND customer_id IS NULL;
    INSERT INTO customers (id, store_id, name) OVERRIDING SYSTEM VALUE
    SELECT w.customer_id, w.store_id, nullif(w.m->>'name', '') FROM ingest_work w
     WHERE w.fast AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = w.customer_id)
     ORDER BY w.ord;
    -- By the batch's ids: with few customers lacking a name the planner would rather read the
    -- whole primary key and filter.
    UPDATE customers c SET name = nullif(w.m->>'name', '')
      FROM ingest_work w
     WHERE c.id = ANY (ARRAY(SELECT customer_id FROM ingest_work WHERE fast AND nullif(m->>'name', '') IS NOT NULL))
       AND w.fast AND c.id = w.customer_id AND c.name IS NULL AND nullif(w.m->>'name', '') IS NOT NULL;
    WITH wanted AS (
        SELECT w.store_id, w.customer_id, k.kind, k.platform, k.value
          FROM ingest_work w, LATERAL ingest_identity_keys(w.m) AS k
         WHERE w.fast AND NOT EXISTS (SELECT 1 FROM customer_identities ci
                                       WHERE ci.store_id = w.store_id AND ci.kind = k.kind AND ci.platform = k.platform AND ci.value = k.value)),
    inserted AS (
        INSERT INTO customer_identities (store_id, customer_id, kind, platform, value)
        SELECT store_id, customer_id, kind, platform, value FROM wanted
        ON CONFLICT (store_id, kind, platform, value) DO NOTHING
        RETURNING 1)
    SELECT (SELECT count(*) FROM wanted) - (SELECT count(*) FROM inserted) INTO v_taken;
    IF v_taken > 0 THEN
        RAISE EXCEPTION 'an identity in this batch was taken concurrently' USING ERRCODE = 'serialization_failure';
    END IF;

    -- Threading: the live conversation on the channel (and thread), else a recently resolved one.
    UPDATE ingest_work w
       SET (conversation_id, placement) = (
           SELECT coalesce(live.id, done.id),
                  CASE WHEN live.id IS NOT NULL THEN 'threaded' WHEN done.id IS NOT NULL THEN 'reopened' ELSE 'new_conversation' END
             FROM channel_settings cs
             LEFT JOIN LATERAL (
                 SELECT c.id FROM conversations c
                  WHERE c.customer_id = w.customer_id AND c.channel = w.channel AND c.status IN ('open', 'pending')
                    AND c.last_message_at >= now() - cs.thread_window AND (w.thread_key IS NULL OR c.thread_key = w.thread_key)
                  ORDER BY c.last_message_at DESC LIMIT 1) AS live ON true
             LEFT JOIN LATERAL (
                 SELECT c.id FROM conversations c
                  WHERE c.customer_id = w.customer_id AND c.channel = w.channel AND c.status = 'resolved'
                    AND c.resolved_at >= now() - cs.reopen_window AND (w.thread_key IS NULL OR c.thread_key = w.thread_key)
                  ORDER BY c.resolved_at DESC LIMIT 1) AS done ON true
            WHERE cs.channel = w.channel)
     WHERE w.fast;

    UPDATE conversations c
       SET status = 'open', reopen_count = c.reopen_count + 1, reopened_at = now(), resolved_at = NULL
      FROM ingest_work w
     WHERE w.fast AND w.placement = 'reopened' AND c.id = w.conversation_id;

    WITH created AS (
        INSERT INTO conversations (store_id, customer_id, channel, thread_key, subject, language)
        SELECT store_id, customer_id, channel, thread_key, subject, language FROM ingest_work
         WHERE fast AND placement = 'new_conversation' ORDER BY ord
        RETURNING id, customer_id)
    UPDATE ingest_work w SET conversation_id = (SELECT created.id FROM created WHERE created.customer_id = w.customer_id)
     WHERE w.fast AND w.placement = 'new_conversation';

    WITH inserted AS (
        INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, full_text,
                              body_html, language, attachments, details, external_id, email_message_id, inbound_id)
        SELECT store_id, conversation_id, 'inbound', 'customer', channel, subject, coalesce(m->>'text', ''), m->>'full_text',
               m->>'html', language, coalesce(m->'attachments', '[]'), coalesce(m->'details', '{}'), external_id,
               nullif(m->>'message_id', ''), inbound_id
          FROM ingest_work WHERE fast ORDER BY ord
        ON CONFLICT DO NOTHING
        RETURNING id, inbound_id)
    UPDATE ingest_work w SET message_id = (SELECT inserted.id FROM inserted WHERE inserted.inbound_id = w.inbound_id)
     WHERE w.fast;
    IF EXISTS (SELECT 1 FROM ingest_work WHERE fast AND message_id IS NULL) THEN
        RAISE EXCEPTION 'a repeated delivery in this batch is being ingested concurrently' USING ERRCODE = 'serialization_failure';
    END IF;

    -- This customer's order named in the text, and what the conversation needs decided.
    UPDATE ingest_work w
       SET linked_order_id = CASE WHEN cardinality(w.order_candidates) > 0 THEN
                                 (SELECT o.id FROM orders o
                                   WHERE o.store_id = w.store_id AND o.number = ANY (w.order_candidates)
                                     AND o.customer_id = w.customer_id
                                   ORDER BY o.placed_at DESC LIMIT 1) END,
           needs_category = c.category IS NULL,
           category = CASE WHEN c.category IS NULL AND EXISTS (SELECT 1 FROM categories WHERE name = lower(nullif(w.m->>'topic', '')))
                           THEN lower(w.m->>'topic') END
      FROM conversations c
     WHERE w.fast AND c.id = w.conversation_id;

    -- Rules, rule by rule over the whole batch: each pattern is compiled once.
    WITH candidates AS MATERIALIZED (
        SELECT ord, store_id, language, match_text FROM ingest_work WHERE fast AND needs_category AND category IS NULL),
    best AS MATERIALIZED (
        SELECT DISTINCT ON (ord) ord, category, score
          FROM (SELECT hit.ord, r.category, sum(r.weight) AS score
                  FROM category_rules r
                  CROSS JOIN LATERAL (
                      SELECT c.ord FROM candidates c
                       WHERE (r.store_id IS NULL OR r.store_id = c.store_id)
                         AND CASE WHEN r.language = '*' OR c.language = 'unknown' OR r.language = c.language
                                  THEN c.match_text ~* r.pattern ELSE false END) AS hit
                 WHERE r.enabled
                 GROUP BY hit.ord, r.category) AS scored
         ORDER BY ord, score DESC, category)
    UPDATE ingest_work w SET (category, category_score) = (SELECT b.category, b.score FROM best b WHERE b.ord = w.ord)
     WHERE w.fast AND w.ord IN (SELECT ord FROM best);

    WITH candidates AS MATERIALIZED (SELECT ord, store_id, language, match_text FROM ingest_work WHERE fast)
    UPDATE ingest_work w SET urgent = true
     WHERE w.ord IN (SELECT hit.ord FROM urgency_rules r
                      CROSS JOIN LATERAL (
                          SELECT c.ord FROM candidates c
                           WHERE (r.store_id IS NULL OR r.store_id = c.store_id)
                             AND CASE WHEN r.language = '*' OR c.language = 'unknown' OR r.language = c.language
                                      THEN c.match_text ~* r.pattern ELSE false END) AS hit
                     WHERE r.enabled);

    WITH candidates AS MATERIALIZED (
        SELECT ord, store_id, language, match_text FROM ingest_work
         WHERE fast AND placement = 'new_conversation' AND channel <> 'phone'),
    best AS MATERIALIZED (
        SELECT ord, array_agg(intent ORDER BY score DESC, intent) AS labels, array_agg(score ORDER BY score DESC, intent) AS scores
          FROM (SELECT hit.ord, r.intent, sum(r.weight) AS score
                  FROM auto_answer_rules r
                  CROSS JOIN LATERAL (
                      SELECT c.ord FROM candidates c
                       WHERE (r.store_id IS NULL OR r.store_id = c.store_id)
                         AND CASE WHEN r.language = '*' OR c.language = 'unknown' OR r.language = c.language
                                  THEN c.match_text ~* r.pattern ELSE false END) AS hit
                 WHERE r.enabled
                 GROUP BY hit.ord, r.intent) AS scored
         GROUP BY ord)
    UPDATE ingest_work w SET (intent, intent_score, runner_up) = (
           SELECT b.labels[1], b.scores[1], coalesce(b.scores[2], 0) FROM best b WHERE b.ord = w.ord)
     WHERE w.fast AND w.ord IN (SELECT ord FROM best);

    -- Automatic answers: the template in the best locale, then what it needs to say.
    UPDATE ingest_work w
       SET skip_reason = 'not confident'
     WHERE w.fast AND w.intent IS NOT NULL
       AND (w.intent_score < v_settings.auto_answer_min_score OR w.intent_score <= w.runner_up);
    UPDATE ingest_work w
       SET answer_order_id = coalesce(w.linked_order_id, c.order_id,
                                      (SELECT o.id FROM orders o WHERE o.customer_id = w.customer_id ORDER BY o.placed_at DESC LIMIT 1))
      FROM conversations c
     WHERE w.fast AND w.intent = 'where_is_my_order' AND w.skip_reason IS NULL AND c.id = w.conversation_id;
    UPDATE ingest_work w
       SET (answer_locale, answer_template) = (
           SELECT t.locale, t.body
             FROM customers cu, stores s, auto_answer_templates t
            WHERE cu.id = w.customer_id AND s.id = w.store_id
              AND t.intent = w.intent AND (t.store_id IS NULL OR t.store_id = w.store_id)
              AND t.locale IN (w.language, cu.preferred_locale, s.default_locale, 'en')
            ORDER BY t.locale = w.language DESC, t.locale = cu.preferred_locale DESC NULLS LAST,
                     t.locale = s.default_locale DESC, t.store_id IS NULL
            LIMIT 1)
     WHERE w.fast AND w.intent IS NOT NULL AND w.skip_reason IS NULL;
    UPDATE ingest_work w
       SET answer_context = CASE
               WHEN w.intent = 'where_is_my_order' THEN (
                   SELECT jsonb_build_object(
                              'order_number', o.number,
                              'status', coalesce((SELECT l.label FROM order_status_labels l WHERE l.locale = w.answer_locale AND l.status = o.status), o.status),
                              'carrier', o.carrier, 'tracking_number', o.tracking_number, 'tracking_url', o.tracking_url,
                              'estimated_delivery', o.estimated_delivery)
                     FROM orders o WHERE o.id = w.answer_order_id)
               ELSE (SELECT jsonb_build_object('policy', p.body) FROM policy_texts p
                      WHERE p.topic = w.intent AND (p.store_id IS NULL OR p.store_id = w.store_id) AND p.locale = w.answer_locale
                      ORDER BY p.store_id IS NULL LIMIT 1)
           END
     WHERE w.fast AND w.answer_template IS NOT NULL;
    UPDATE ingest_work w
       SET skip_reason = CASE WHEN w.intent = 'where_is_my_order' AND w.answer_order_id IS NULL
                              THEN 'the customer has no order' ELSE 'no template or policy text for the locale' END,
           answer_template = NULL, answer_context = NULL
     WHERE w.fast AND w.intent IS NOT NULL AND w.skip_reason IS NULL AND w.answer_context IS NULL;
    UPDATE ingest_work w
       SET answer_context = w.answer_context || jsonb_build_object('customer_name', cu.name)
      FROM customers cu
     WHERE w.fast AND w.answer_context IS NOT NULL AND cu.id = w.customer_id;

    -- Priority hints, from the customer's tier, the urgency rules and the order's value.
    UPDATE ingest_work w
       SET hints = ARRAY(SELECT DISTINCT hint FROM unnest(
                       c.priority_hints
                       || CASE WHEN cu.tier = 'vip' THEN ARRAY['vip'] ELSE '{}'::text[] END
                       || CASE WHEN w.urgent THEN ARRAY['urgent_words'] ELSE '{}'::text[] END
                       || CASE WHEN (SELECT o.total FROM orders o WHERE o.id = coalesce(w.linked_order_id, w.answer_order_id, c.order_id))
                                    >= v_settings.high_order_value THEN ARRAY['high_order_value'] ELSE '{}'::text[] END
                   ) AS hint ORDER BY 1)
      FROM conversations c, customers cu
     WHERE w.fast AND c.id = w.conversation_id AND cu.id = w.customer_id;

    -- The conversation: status, language, category, priority, order, counters.
    UPDATE conversations c
       SET status = CASE WHEN c.status = 'pending' THEN 'open' ELSE c.status END,
           language = CASE WHEN c.language = 'unknown' THEN w.language ELSE c.language END,
           subject = coalesce(c.subject, w.subject),
           category = coalesce(c.category, w.category),
           category_score = CASE WHEN c.category IS NULL THEN w.category_score ELSE c.category_score END,
           priority = least(c.priority, 3 - least(2, cardinality(w.hints))),
           priority_hints = w.hints,
           order_id = coalesce(w.linked_order_id, w.answer_order_id, c.order_id),
           message_count = c.message_count + 1,
           last_message_at = now(),
           last_customer_message_at = now(),
           updated_at = now()
      FROM ingest_work w
     WHERE w.fast AND c.id = w.conversation_id;

    UPDATE customers cu SET preferred_locale = w.language
      FROM ingest_work w
     WHERE cu.id = ANY (ARRAY(SELECT customer_id FROM ingest_work WHERE fast AND language <> 'unknown'))
       AND w.fast AND cu.id = w.customer_id AND cu.preferred_locale IS NULL AND w.language <> 'unknown';

    INSERT INTO audit_events (kind, conversation_id, customer_id, order_id, detail)
    SELECT 'conversation_reopened', w.conversation_id, w.customer_id, NULL,
           jsonb_build_object('by', 'recently_resolved', 'inbound_id', w.inbound_id)
      FROM ingest_work w WHERE w.fast AND w.placement = 'reopened'
    UNION ALL
    SELECT 'order_linked', w.conversation_id, w.customer_id, w.linked_order_id,
           jsonb_build_object('order_number', (SELECT number FROM orders WHERE id = w.linked_order_id))
      FROM ingest_work w JOIN conversations c ON c.id = w.conversation_id
     WHERE w.fast AND w.linked_order_id IS NOT NULL AND c.order_id IS DISTINCT FROM w.linked_order_id
    UNION ALL
    SELECT 'auto_answer_skipped', w.conversation_id, w.customer_id, NULL,
           jsonb_build_object('intent', w.intent, 'score', w.intent_score, 'runner_up', w.runner_up, 'reason', w.skip_reason)
      FROM ingest_work w WHERE w.fast AND w.skip_reason IS NOT NULL
    UNION ALL
    SELECT 'conversation_created', w.conversation_id, w.customer_id, NULL,
           jsonb_build_object('channel', w.channel, 'language', w.language, 'category', c.category, 'priority', c.priority,
                              'priority_hints', to_jsonb(c.priority_hints), 'inbound_id', w.inbound_id)
      FROM ingest_work w JOIN conversations c ON c.id = w.conversation_id
     WHERE w.fast AND w.placement = 'new_conversation';

    PERFORM request_route(VARIADIC ARRAY(
        SELECT c.id FROM ingest_work w JOIN conversations c ON c.id = w.conversation_id
         WHERE w.fast AND w.answer_context IS NULL
           AND (w.placement IN ('new_conversation', 'reopened') OR c.agent_id IS NULL)));

    UPDATE inbound_messages i
       SET status = 'processed', message_id = w.message_id, conversation_id = w.conversation_id, processed_at = clock_timestamp()
      FROM ingest_work w
     WHERE w.fast AND i.id = w.inbound_id;

    RETURN QUERY
        SELECT w.inbound_id, w.placement, w.conversation_id, w.message_id, w.customer_id,
               CASE WHEN w.answer_context IS NOT NULL THEN w.intent END, w.answer_locale, w.answer_template, w.answer_context
          FROM ingest_work w WHERE w.fast ORDER BY w.ord;

    RETURN QUERY
        SELECT w.inbound_id, 'deferred'::text, NULL::bigint, NULL::bigint, w.customer_id, NULL::text, NULL::text, NULL::text, NULL::jsonb
          FROM ingest_work w WHERE w.deferred ORDER BY w.ord;

    FOR v_item IN SELECT inbound_id, m FROM ingest_work WHERE NOT fast AND NOT deferred ORDER BY ord LOOP
        RETURN QUERY
            SELECT v_item.inbound_id, r.o_outcome, r.o_conversation_id, r.o_message_id, r.o_customer_id,
                   r.o_answer_intent, r.o_answer_locale, r.o_answer_template, r.o_answer_context
              FROM ingest_message(v_item.inbound_id, v_item.m) AS r;
    END LOOP;
END $$;
