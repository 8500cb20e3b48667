-- The steps of ingest (ingest.sql): a batch places its common messages together, one message
-- is placed on its own, and from there both go through the same steps. See docs/ingest.md.
--
-- Ingest works through a per-session scratch table, ingest_items: a row per inbound message of
-- the call with what each step decided. The steps after placing work on the rows marked
-- `current`: all of a batch's fast rows at once, or the one row ingest_message placed.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Creates the scratch table in this session if it is not there yet (no WAL; emptied at commit).
CREATE OR REPLACE FUNCTION ingest_items_ready() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- A session that made the table before a release added columns makes it again.
    IF to_regclass('pg_temp.ingest_items') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pg_temp.ingest_items') AND attname = 'model_version') THEN
        DROP TABLE pg_temp.ingest_items;
    END IF;
    IF to_regclass('pg_temp.ingest_items') IS NULL THEN
        CREATE TEMP TABLE ingest_items (
            ord int, inbound_id bigint, m jsonb, store_id bigint, external_id text, customer_id bigint,
            channel text, thread_key text, language text, match_text text, subject text, order_candidates text[],
            fast boolean, deferred boolean NOT NULL DEFAULT false, current boolean NOT NULL DEFAULT false,
            conversation_id bigint, placement text, placed_by text, message_id bigint,
            needs_category boolean, linked_order_id bigint, category text, category_score numeric,
            category_by text, category_rule_ids bigint[], model_category text, model_probability double precision, model_version bigint,
            intent text, intent_score numeric, runner_up numeric, urgent boolean NOT NULL DEFAULT false,
            answer_order_id bigint, answer_locale text, answer_template text, answer_context jsonb, skip_reason text,
            hints text[]
        ) ON COMMIT DELETE ROWS;
    END IF;
END $$;

-- Adds parsed messages p_messages (inbound rows p_ids) to the scratch table with what ingest
-- reads of each, and whether a batch may place it with the others (fast): a known customer or
-- a new one, writing without threading headers or a subject token, not an auto-reply, not a
-- message stored already.
CREATE OR REPLACE FUNCTION ingest_items_add(p_ids bigint[], p_messages jsonb[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ingest_items (ord, inbound_id, m, store_id, external_id, customer_id, channel, thread_key, language,
                              match_text, subject, order_candidates, model_category, model_probability, model_version, fast)
    SELECT (SELECT coalesce(max(ord), 0) FROM ingest_items) + u.ord, u.id, u.m, s.id, i.external_id, idn.owner,
           u.m->>'channel', nullif(u.m->>'thread_id', ''), coalesce(nullif(u.m->>'language', ''), 'unknown'),
           -- Rules see the text lower-cased by the worker (Unicode-correct whatever the database locale).
           coalesce(u.m->>'match_text', lower(coalesce(nullif(u.m->>'subject', '') || E'\n', '') || coalesce(u.m->>'text', ''))),
           nullif(u.m->>'subject', ''), ARRAY(SELECT n FROM order_numbers_in(u.m) AS n),
           -- The worker's category model's guess, when it has a model (docs/ingest.md, "Categories").
           u.m->'category_model'->>'category', (u.m->'category_model'->>'probability')::double precision,
           (u.m->'category_model'->>'version')::bigint,
           i.status = 'received' AND s.id IS NOT NULL AND u.m->>'automatic_reason' IS NULL
             AND nullif(u.m->>'in_reply_to', '') IS NULL AND coalesce(jsonb_array_length(u.m->'references'), 0) = 0
             AND coalesce(u.m->>'subject', '') !~ '\[#[0-9]{1,18}\]'
             AND coalesce(u.m->>'recipients', '') !~ '\+c[0-9]+\.[0-9a-f]{10}@'
             AND idn.wanted > 0 AND idn.owners <= 1
             -- STOP and its kin become consent events, one by one (ingest_message).
             AND NOT EXISTS (SELECT 1 FROM consent_keyword_of(u.m))
             -- A bare rating may answer a survey: one by one too.
             AND (u.m->>'channel' NOT IN ('sms', 'social', 'chat') OR (survey_rating_in(u.m->>'text')).o_rating IS NULL)
             AND NOT EXISTS (SELECT 1 FROM ingest_stored_copy(s.id, u.m->>'channel', i.external_id, u.m->>'message_id'))
      FROM unnest(p_ids, p_messages) WITH ORDINALITY AS u(id, m, ord)
      JOIN inbound_messages i ON i.id = u.id
      LEFT JOIN stores s ON CASE WHEN i.store IS NULL THEN s.is_default ELSE s.code = i.store END
      CROSS JOIN LATERAL (
          SELECT count(*) AS wanted, count(ci.id) AS known, min(ci.customer_id) AS owner, count(DISTINCT ci.customer_id) AS owners
            FROM ingest_identity_keys(u.m) AS k
            LEFT JOIN customer_identities ci
              ON ci.store_id = s.id AND ci.kind = k.kind AND ci.platform = k.platform AND ci.value = k.value) AS idn;
END $$;

-- Leaves one fast message per customer, per identity, per provider id and per Message-ID (the
-- others follow one by one, after), and takes the fast customers' locks. A customer another
-- transaction is ingesting right now is waited for (p_wait), or else their messages are handed
-- back (deferred) for the next batch instead of holding this one up.
CREATE OR REPLACE FUNCTION ingest_claim_customers(p_wait boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ingest_items w SET fast = false
     WHERE w.ord IN (SELECT ord FROM (
                        SELECT w2.ord, row_number() OVER (PARTITION BY w2.store_id, k.kind, k.platform, k.value ORDER BY w2.ord) AS nth
                          FROM ingest_items w2, LATERAL ingest_identity_keys(w2.m) AS k
                         WHERE w2.fast) AS d
                      WHERE d.nth > 1);
    UPDATE ingest_items SET fast = false
     WHERE ord IN (SELECT ord FROM (
                      SELECT ord, customer_id, external_id, nullif(m->>'message_id', '') AS message_id,
                             row_number() OVER (PARTITION BY customer_id ORDER BY ord) AS nth_of_customer,
                             row_number() OVER (PARTITION BY store_id, channel, external_id ORDER BY ord) AS nth_of_external,
                             row_number() OVER (PARTITION BY store_id, m->>'message_id' ORDER BY ord) AS nth_of_message_id
                        FROM ingest_items WHERE fast) AS d
                    WHERE (d.customer_id IS NOT NULL AND d.nth_of_customer > 1) OR (d.external_id IS NOT NULL AND d.nth_of_external > 1)
                       OR (d.message_id IS NOT NULL AND d.nth_of_message_id > 1));
    IF p_wait THEN
        PERFORM lock_customer(customer_id) FROM (SELECT customer_id FROM ingest_items WHERE fast AND customer_id IS NOT NULL ORDER BY customer_id) AS c;
    ELSE
        UPDATE ingest_items SET fast = false, deferred = true
         WHERE fast AND customer_id IS NOT NULL
           AND NOT pg_try_advisory_xact_lock(customer_lock_key(customer_id));
        UPDATE ingest_items w SET deferred = true
         WHERE NOT w.fast AND NOT w.deferred
           AND w.customer_id IN (SELECT customer_id FROM ingest_items WHERE deferred);
    END IF;
END $$;

-- The new customers of the fast messages, and the identities not seen before. An identity
-- another transaction has just taken means a merge to do: the whole batch is tried again
-- (serialization_failure) and sees it.
CREATE OR REPLACE FUNCTION ingest_add_customers() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_taken bigint;
BEGIN
    UPDATE ingest_items SET customer_id = nextval(pg_get_serial_sequence('customers', 'id'))
     WHERE fast AND customer_id IS NULL;
    INSERT INTO customers (id, store_id, name) OVERRIDING SYSTEM VALUE
    SELECT w.customer_id, w.store_id, nullif(w.m->>'name', '') FROM ingest_items w
     WHERE w.fast AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = w.customer_id)
     ORDER BY w.ord;
    -- By the batch's ids: with few customers lacking a name the planner would rather read the
    -- whole primary key and filter.
    UPDATE customers c SET name = nullif(w.m->>'name', '')
      FROM ingest_items w
     WHERE c.id = ANY (ARRAY(SELECT customer_id FROM ingest_items WHERE fast AND nullif(m->>'name', '') IS NOT NULL))
       AND w.fast AND c.id = w.customer_id AND c.name IS NULL AND nullif(w.m->>'name', '') IS NOT NULL;
    WITH wanted AS (
        SELECT w.store_id, w.customer_id, k.kind, k.platform, k.value
          FROM ingest_items w, LATERAL ingest_identity_keys(w.m) AS k
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
END $$;

-- Places the fast messages, and makes them the current rows: the customer's live conversation
-- on the channel (and thread), else a recently resolved one (reopened), else a new one.
CREATE OR REPLACE FUNCTION ingest_place_fast() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ingest_items w
       SET current = true, (conversation_id, placement, placed_by) = (
           SELECT coalesce(live.id, done.id),
                  CASE WHEN live.id IS NOT NULL THEN 'threaded' WHEN done.id IS NOT NULL THEN 'reopened' ELSE 'new_conversation' END,
                  CASE WHEN live.id IS NOT NULL THEN 'open_conversation' WHEN done.id IS NOT NULL THEN 'recently_resolved' ELSE 'new' END
             FROM (SELECT 1) AS one
             LEFT JOIN LATERAL ingest_live_conversation(w.customer_id, w.channel, w.thread_key) AS live ON true
             LEFT JOIN LATERAL ingest_resolved_conversation(w.customer_id, w.channel, w.thread_key) AS done ON true)
     WHERE w.fast;
END $$;

-- Stores the current messages where they were placed: reopens the resolved conversations (with
-- their audit event), starts the new ones and inserts each message. A message another
-- transaction is storing right now fails the call (serialization_failure): retrying sees it.
CREATE OR REPLACE FUNCTION ingest_store_messages() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH reopened AS (
        UPDATE conversations c
           SET status = 'open', reopen_count = c.reopen_count + 1, reopened_at = now(), resolved_at = NULL
          FROM ingest_items w
         WHERE w.current AND w.placement = 'reopened' AND c.id = w.conversation_id
        RETURNING w.ord, w.conversation_id, w.customer_id, w.placed_by, w.inbound_id)
    INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
    SELECT 'conversation_reopened', r.conversation_id, r.customer_id, jsonb_build_object('by', r.placed_by, 'inbound_id', r.inbound_id)
      FROM reopened r ORDER BY r.ord;

    WITH created AS (
        INSERT INTO conversations (store_id, customer_id, channel, thread_key, subject, language)
        SELECT store_id, customer_id, channel, thread_key, subject, language FROM ingest_items
         WHERE current AND placement = 'new_conversation' ORDER BY ord
        RETURNING id, customer_id)
    UPDATE ingest_items w SET conversation_id = (SELECT created.id FROM created WHERE created.customer_id = w.customer_id)
     WHERE w.current AND w.placement = 'new_conversation';

    WITH inserted AS (
        INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, full_text,
                              body_html, language, attachments, details, external_id, email_message_id, in_reply_to,
                              "references", inbound_id)
        SELECT store_id, conversation_id, 'inbound', 'customer', channel, subject, coalesce(m->>'text', ''), m->>'full_text',
               m->>'html', language, coalesce(m->'attachments', '[]'), coalesce(m->'details', '{}'), external_id,
               nullif(m->>'message_id', ''), nullif(m->>'in_reply_to', ''),
               ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]'))), inbound_id
          FROM ingest_items WHERE current ORDER BY ord
        ON CONFLICT DO NOTHING
        RETURNING id, inbound_id)
    UPDATE ingest_items w SET message_id = (SELECT inserted.id FROM inserted WHERE inserted.inbound_id = w.inbound_id)
     WHERE w.current;
    IF EXISTS (SELECT 1 FROM ingest_items WHERE current AND message_id IS NULL) THEN
        RAISE EXCEPTION 'a repeated delivery is being ingested concurrently' USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- Links the order each current message names (this customer's, by number) and records the
-- link; notes whether the conversation still needs a category, taking the web form's topic
-- when it names one.
CREATE OR REPLACE FUNCTION ingest_link_orders() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH linked AS (
        UPDATE ingest_items w
           SET linked_order_id = CASE WHEN cardinality(w.order_candidates) > 0 THEN
                                     (SELECT o.id FROM orders o
                                       WHERE o.store_id = w.store_id AND o.number = ANY (w.order_candidates)
                                         AND o.customer_id = w.customer_id
                                       ORDER BY o.placed_at DESC LIMIT 1) END,
               needs_category = c.category IS NULL,
               category = CASE WHEN c.category IS NULL AND EXISTS (SELECT 1 FROM categories WHERE name = lower(nullif(w.m->>'topic', '')))
                               THEN lower(w.m->>'topic') END,
               category_by = CASE WHEN c.category IS NULL AND EXISTS (SELECT 1 FROM categories WHERE name = lower(nullif(w.m->>'topic', '')))
                                  THEN 'topic' END
          FROM conversations c
         WHERE w.current AND c.id = w.conversation_id
        RETURNING w.ord, w.conversation_id, w.customer_id, w.linked_order_id, c.order_id AS previous_order_id)
    INSERT INTO audit_events (kind, conversation_id, customer_id, order_id, detail)
    SELECT 'order_linked', l.conversation_id, l.customer_id, o.id, jsonb_build_object('order_number', o.number)
      FROM linked l JOIN orders o ON o.id = l.linked_order_id
     WHERE l.previous_order_id IS DISTINCT FROM o.id
     ORDER BY l.ord;
END $$;

-- Whether an admin's text rule (its store, language and pattern) applies to a message of store
-- p_store_id in p_language whose text to match is p_text. The one definition for the category,
-- urgency and automatic answer rules; a single expression, so PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION ingest_rule_matches(p_rule_store_id bigint, p_rule_language text, p_pattern text,
                                               p_store_id bigint, p_language text, p_text text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_rule_store_id IS NULL OR p_rule_store_id = p_store_id)
           AND CASE WHEN p_rule_language = '*' OR p_language = 'unknown' OR p_rule_language = p_language
                    THEN p_text ~* p_pattern ELSE false END
$$;

-- The category the enabled rules give each of a set of texts (p_ords, with the store, language
-- and text to match of each): the category whose matching rules weigh most (ties: the first by
-- name), its score and those rules. Texts no rule matches are absent. When a category model
-- exists (p_with_model), the rules that yield to it (yields_to_model) have no say. The one
-- definition of the rules' verdict, for ingest (ingest_match_rules) and for the evaluation of
-- rules against the model (switchboard categories evaluate).
CREATE OR REPLACE FUNCTION category_rules_best(p_ords integer[], p_store_ids bigint[], p_languages text[], p_texts text[],
                                               p_with_model boolean)
RETURNS TABLE (ord integer, category text, score numeric, rule_ids bigint[]) LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (scored.ord) scored.ord, scored.category, scored.score, scored.rule_ids
      FROM (SELECT hit.ord, r.category, sum(r.weight) AS score, array_agg(r.id ORDER BY r.id) AS rule_ids
              FROM category_rules r
              CROSS JOIN LATERAL (SELECT c.ord FROM unnest(p_ords, p_store_ids, p_languages, p_texts) AS c(ord, store_id, language, text)
                                   WHERE ingest_rule_matches(r.store_id, r.language, r.pattern, c.store_id, c.language, c.text)) AS hit
             WHERE r.enabled AND NOT (p_with_model AND r.yields_to_model)
             GROUP BY hit.ord, r.category) AS scored
     ORDER BY scored.ord, scored.score DESC, scored.category
$$;

-- Runs the admins' text rules over the current messages, rule by rule (each pattern is compiled
-- once per call, not per message): the category, for conversations that have none, from the
-- first message that scores; urgency; and the intent of a new conversation's first message, on
-- a channel that can carry a reply, with its score and the runner-up's.
CREATE OR REPLACE FUNCTION ingest_match_rules() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH candidates AS MATERIALIZED (
        SELECT array_agg(ord) AS ords, array_agg(store_id) AS store_ids, array_agg(language) AS languages, array_agg(match_text) AS texts,
               bool_or(model_version IS NOT NULL) AS with_model
          FROM ingest_items WHERE current AND needs_category AND category IS NULL),
    best AS MATERIALIZED (
        SELECT b.* FROM candidates c CROSS JOIN LATERAL category_rules_best(c.ords, c.store_ids, c.languages, c.texts, c.with_model) AS b
         WHERE c.ords IS NOT NULL)
    UPDATE ingest_items w SET (category, category_score, category_by, category_rule_ids)
                            = (SELECT b.category, b.score, 'rules', b.rule_ids FROM best b WHERE b.ord = w.ord)
     WHERE w.current AND w.ord IN (SELECT ord FROM best);

    -- Where no rule matched: the category model's guess, when it clears the store's threshold
    -- and names a category that exists. Otherwise the conversation stays uncategorised.
    UPDATE ingest_items w SET category = w.model_category, category_by = 'model'
      FROM stores s
     WHERE w.current AND w.needs_category AND w.category IS NULL AND w.model_category IS NOT NULL
       AND s.id = w.store_id AND w.model_probability >= s.category_model_threshold
       AND EXISTS (SELECT 1 FROM categories k WHERE k.name = w.model_category);

    WITH candidates AS MATERIALIZED (SELECT ord, store_id, language, match_text FROM ingest_items WHERE current)
    UPDATE ingest_items w SET urgent = true
     WHERE w.ord IN (SELECT hit.ord FROM urgency_rules r
                      CROSS JOIN LATERAL (SELECT c.ord FROM candidates c
                                           WHERE ingest_rule_matches(r.store_id, r.language, r.pattern, c.store_id, c.language, c.match_text)) AS hit
                     WHERE r.enabled);

    WITH candidates AS MATERIALIZED (
        SELECT ord, store_id, language, match_text FROM ingest_items
         WHERE current AND placement = 'new_conversation' AND channel <> 'phone'),
    best AS MATERIALIZED (
        SELECT ord, array_agg(intent ORDER BY score DESC, intent) AS labels, array_agg(score ORDER BY score DESC, intent) AS scores
          FROM (SELECT hit.ord, r.intent, sum(r.weight) AS score
                  FROM auto_answer_rules r
                  CROSS JOIN LATERAL (SELECT c.ord FROM candidates c
                                       WHERE ingest_rule_matches(r.store_id, r.language, r.pattern, c.store_id, c.language, c.match_text)) AS hit
                 WHERE r.enabled
                 GROUP BY hit.ord, r.intent) AS scored
         GROUP BY ord)
    UPDATE ingest_items w SET (intent, intent_score, runner_up) = (
           SELECT b.labels[1], b.scores[1], coalesce(b.scores[2], 0) FROM best b WHERE b.ord = w.ord)
     WHERE w.current AND w.ord IN (SELECT ord FROM best);
END $$;

-- Chooses the automatic answers of the current messages: only when one intent clearly wins;
-- the template in the customer's language when there is one, else their preferred locale's,
-- the store's or English; then what it needs to say (the order, or the policy text), or why
-- nothing is said.
CREATE OR REPLACE FUNCTION ingest_choose_answers() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Most messages one by one are not a new conversation's first: no intent, nothing to do.
    IF NOT EXISTS (SELECT 1 FROM ingest_items WHERE current AND intent IS NOT NULL) THEN
        RETURN;
    END IF;
    UPDATE ingest_items w
       SET skip_reason = 'not confident'
     WHERE w.current AND w.intent IS NOT NULL
       AND (w.intent_score < (SELECT auto_answer_min_score FROM ingest_settings) OR w.intent_score <= w.runner_up);
    UPDATE ingest_items w
       SET answer_order_id = coalesce(w.linked_order_id, c.order_id,
                                      (SELECT o.id FROM orders o WHERE o.customer_id = w.customer_id ORDER BY o.placed_at DESC LIMIT 1))
      FROM conversations c
     WHERE w.current AND w.intent = 'where_is_my_order' AND w.skip_reason IS NULL AND c.id = w.conversation_id;
    UPDATE ingest_items w
       SET (answer_locale, answer_template) = (
           SELECT t.locale, t.body
             FROM customers cu, stores s, auto_answer_templates t
            WHERE cu.id = w.customer_id AND s.id = w.store_id
              AND t.intent = w.intent AND (t.store_id IS NULL OR t.store_id = w.store_id)
              AND t.locale IN (w.language, cu.preferred_locale, s.default_locale, 'en')
            ORDER BY t.locale = w.language DESC, t.locale = cu.preferred_locale DESC NULLS LAST,
                     t.locale = s.default_locale DESC, t.store_id IS NULL
            LIMIT 1)
     WHERE w.current AND w.intent IS NOT NULL AND w.skip_reason IS NULL;
    UPDATE ingest_items w
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
     WHERE w.current AND w.answer_template IS NOT NULL;
    UPDATE ingest_items w
       SET skip_reason = CASE WHEN w.intent = 'where_is_my_order' AND w.answer_order_id IS NULL
                              THEN 'the customer has no order' ELSE 'no template or policy text for the locale' END,
           answer_template = NULL, answer_context = NULL
     WHERE w.current AND w.intent IS NOT NULL AND w.skip_reason IS NULL AND w.answer_context IS NULL;
    UPDATE ingest_items w
       SET answer_context = w.answer_context || jsonb_build_object('customer_name', cu.name)
      FROM customers cu
     WHERE w.current AND w.answer_context IS NOT NULL AND cu.id = w.customer_id;
END $$;

-- Brings the current messages' conversations up to date: priority hints (the customer's tier,
-- the urgency rules, the order's value; each raises priority one step from normal, and priority
-- never drops here), status, language, category, order and counters; and the customer's
-- preferred locale when they had none.
CREATE OR REPLACE FUNCTION ingest_update_conversations() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    -- A value, not a join: the planner keeps the statements below on their keys.
    v_high_order_value numeric := (SELECT high_order_value FROM ingest_settings);
BEGIN
    UPDATE ingest_items w
       SET hints = ARRAY(SELECT DISTINCT hint FROM unnest(
                       c.priority_hints
                       || CASE WHEN cu.tier = 'vip' THEN ARRAY['vip'] ELSE '{}'::text[] END
                       || CASE WHEN w.urgent THEN ARRAY['urgent_words'] ELSE '{}'::text[] END
                       || CASE WHEN (SELECT o.total FROM orders o WHERE o.id = coalesce(w.linked_order_id, w.answer_order_id, c.order_id))
                                    >= v_high_order_value THEN ARRAY['high_order_value'] ELSE '{}'::text[] END
                   ) AS hint ORDER BY 1)
      FROM conversations c, customers cu
     WHERE w.current AND c.id = w.conversation_id AND cu.id = w.customer_id;

    UPDATE conversations c
       SET status = CASE WHEN c.status = 'pending' THEN 'open' ELSE c.status END,
           language = CASE WHEN c.language = 'unknown' THEN w.language ELSE c.language END,
           subject = coalesce(c.subject, w.subject),
           category = coalesce(c.category, w.category),
           category_score = CASE WHEN c.category IS NULL THEN w.category_score ELSE c.category_score END,
           category_decided_by = CASE WHEN c.category IS NULL THEN w.category_by ELSE c.category_decided_by END,
           category_rule_ids = CASE WHEN c.category IS NULL THEN w.category_rule_ids ELSE c.category_rule_ids END,
           category_model_version = CASE WHEN c.category IS NULL AND w.category_by = 'model' THEN w.model_version
                                         WHEN c.category IS NULL THEN NULL ELSE c.category_model_version END,
           category_probability = CASE WHEN c.category IS NULL AND w.category_by = 'model' THEN w.model_probability
                                       WHEN c.category IS NULL THEN NULL ELSE c.category_probability END,
           priority = least(c.priority, 3 - least(2, cardinality(w.hints))),
           priority_hints = w.hints,
           order_id = coalesce(w.linked_order_id, w.answer_order_id, c.order_id),
           message_count = c.message_count + 1,
           last_message_at = now(),
           last_customer_message_at = now(),
           updated_at = now()
      FROM ingest_items w
     WHERE w.current AND c.id = w.conversation_id;

    -- By the batch's ids, as in ingest_add_customers.
    UPDATE customers cu SET preferred_locale = w.language
      FROM ingest_items w
     WHERE cu.id = ANY (ARRAY(SELECT customer_id FROM ingest_items WHERE current AND language <> 'unknown'))
       AND w.current AND cu.id = w.customer_id AND cu.preferred_locale IS NULL AND w.language <> 'unknown';
END $$;

-- Records what became of the current messages: the audit events (answers skipped, conversations
-- created), a route request for whatever no bot answers (new conversations, reopened ones, and
-- conversations with no agent yet), and the inbound rows' outcome.
CREATE OR REPLACE FUNCTION ingest_record_outcomes() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
    SELECT 'auto_answer_skipped', w.conversation_id, w.customer_id,
           jsonb_build_object('intent', w.intent, 'score', w.intent_score, 'runner_up', w.runner_up, 'reason', w.skip_reason)
      FROM ingest_items w WHERE w.current AND w.skip_reason IS NOT NULL
    UNION ALL
    SELECT 'conversation_created', w.conversation_id, w.customer_id,
           jsonb_build_object('channel', w.channel, 'language', w.language, 'category', c.category, 'priority', c.priority,
                              'priority_hints', to_jsonb(c.priority_hints), 'inbound_id', w.inbound_id)
      FROM ingest_items w JOIN conversations c ON c.id = w.conversation_id
     WHERE w.current AND w.placement = 'new_conversation';

    PERFORM request_route(VARIADIC ARRAY(
        SELECT c.id FROM ingest_items w JOIN conversations c ON c.id = w.conversation_id
         WHERE w.current AND w.answer_context IS NULL
           AND (w.placement IN ('new_conversation', 'reopened') OR c.agent_id IS NULL)));

    UPDATE inbound_messages i
       SET status = 'processed', message_id = w.message_id, conversation_id = w.conversation_id, processed_at = clock_timestamp()
      FROM ingest_items w
     WHERE w.current AND i.id = w.inbound_id;
END $$;

-- The steps every placed message goes through, in order, on the current rows.
CREATE OR REPLACE FUNCTION ingest_current_items() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ingest_store_messages();
    PERFORM ingest_link_orders();
    PERFORM ingest_match_rules();
    PERFORM ingest_choose_answers();
    PERFORM ingest_update_conversations();
    PERFORM ingest_record_outcomes();
END $$;
