-- The ingest worker's SQL: one message (ingest_message) or a batch (ingest_batch) into
-- conversations, the bot's answers, and route requests. See docs/ingest.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Asks the routing worker to place these conversations: one pending route job per conversation,
-- at the conversation's priority. request_route(5), or request_route(VARIADIC ids) for many.
-- (PL/pgSQL rather than SQL: its plan is cached, and ingest calls it for most messages.)
CREATE OR REPLACE FUNCTION request_route(VARIADIC p_conversation_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (queue, kind, args, priority, unique_key)
    SELECT 'route', 'route', jsonb_build_object('conversation_id', c.id), c.priority, 'route:' || c.id
      FROM conversations c WHERE c.id = ANY (p_conversation_ids) ORDER BY c.id
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING;
END $$;

-- Turns one parsed inbound message into a message of a conversation, in the calling
-- transaction. `m` is the parsed message (docs/ingest.md lists its fields). Returns what
-- happened and, when the message should be answered automatically, the answer's template and
-- its variables: the worker renders it and calls record_auto_answers, or request_route when it
-- cannot.
CREATE OR REPLACE FUNCTION ingest_message(p_inbound_id bigint, m jsonb,
    OUT o_outcome text, OUT o_conversation_id bigint, OUT o_message_id bigint, OUT o_customer_id bigint,
    OUT o_answer_intent text, OUT o_answer_locale text, OUT o_answer_template text, OUT o_answer_context jsonb)
LANGUAGE plpgsql
-- Custom plans would be re-planned on every call for no better plan: its lookups are all by key.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_inbound    inbound_messages;
    v_store      stores;
    v_settings   ingest_settings;
    v_window     channel_settings;
    v_conv       conversations;
    v_customer   customers;
    v_order      orders;
    v_channel    text := m->>'channel';
    v_subject    text := nullif(m->>'subject', '');
    v_text       text := coalesce(m->>'text', '');
    v_language   text := coalesce(nullif(m->>'language', ''), 'unknown');
    v_thread_key text := nullif(m->>'thread_id', '');
    v_match      text;
    v_refs       text[];
    v_found      boolean := false;
    v_new        boolean := false;
    v_reopened   boolean := false;
    v_how        text;
    v_dup_id     bigint;
    v_dup_conv   bigint;
    v_candidates text[];
    v_intent     record;
    v_hints      text[];
    v_priority   smallint;
    v_locale     text;
    v_policy     text;
BEGIN
    SELECT * INTO v_inbound FROM inbound_messages WHERE id = p_inbound_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inbound message % does not exist', p_inbound_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_inbound.status <> 'received' THEN
        o_outcome := 'already_' || v_inbound.status;
        o_conversation_id := v_inbound.conversation_id;
        o_message_id := v_inbound.message_id;
        RETURN;
    END IF;

    SELECT * INTO v_store FROM stores
     WHERE CASE WHEN v_inbound.store IS NULL THEN is_default ELSE code = v_inbound.store END;
    IF NOT FOUND THEN
        PERFORM reject_inbound(p_inbound_id, 'unknown_store',
            CASE WHEN v_inbound.store IS NULL THEN 'no store is marked as the default'
                 ELSE format('no store has the code %L', v_inbound.store) END);
        o_outcome := 'rejected';
        RETURN;
    END IF;
    SELECT * INTO v_settings FROM ingest_settings;
    SELECT * INTO v_window FROM channel_settings WHERE channel = v_channel;

    -- Repeated deliveries: the provider's id, or the email's Message-ID.
    IF v_inbound.external_id IS NOT NULL THEN
        SELECT id, conversation_id INTO v_dup_id, v_dup_conv FROM messages
         WHERE store_id = v_store.id AND channel = v_channel AND external_id = v_inbound.external_id AND direction = 'inbound';
    END IF;
    IF v_dup_id IS NULL AND nullif(m->>'message_id', '') IS NOT NULL THEN
        SELECT id, conversation_id INTO v_dup_id, v_dup_conv FROM messages
         WHERE store_id = v_store.id AND email_message_id = m->>'message_id';
    END IF;
    IF v_dup_id IS NOT NULL THEN
        UPDATE inbound_messages SET status = 'duplicate', message_id = v_dup_id, conversation_id = v_dup_conv, processed_at = clock_timestamp()
         WHERE id = p_inbound_id;
        o_outcome := 'duplicate'; o_message_id := v_dup_id; o_conversation_id := v_dup_conv;
        RETURN;
    END IF;

    -- Email threading by the ids this message answers.
    v_refs := ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]')));
    IF nullif(m->>'in_reply_to', '') IS NOT NULL THEN
        v_refs := array_prepend(m->>'in_reply_to', v_refs);
    END IF;
    IF cardinality(v_refs) > 0 THEN
        SELECT c.* INTO v_conv FROM messages mm JOIN conversations c ON c.id = mm.conversation_id
         WHERE mm.store_id = v_store.id AND mm.email_message_id = ANY (v_refs)
         ORDER BY mm.id DESC LIMIT 1;
        IF FOUND THEN v_found := true; v_how := 'references'; END IF;
    END IF;

    -- Auto-replies and bounces are recorded on the thread they answer, and nothing more.
    IF m->>'automatic_reason' IS NOT NULL THEN
        IF v_found THEN
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, full_text,
                                  body_html, attachments, external_id, email_message_id, in_reply_to, "references",
                                  automatic_reason, inbound_id)
            VALUES (v_store.id, v_conv.id, 'inbound', 'system', v_channel, v_subject, v_text, m->>'full_text', m->>'html',
                    coalesce(m->'attachments', '[]'), v_inbound.external_id, nullif(m->>'message_id', ''),
                    nullif(m->>'in_reply_to', ''), ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]'))),
                    m->>'automatic_reason', p_inbound_id)
            ON CONFLICT DO NOTHING
            RETURNING id INTO o_message_id;
            INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
            VALUES ('automatic_mail', v_conv.id, v_conv.customer_id, jsonb_build_object('reason', m->>'automatic_reason', 'inbound_id', p_inbound_id));
            o_conversation_id := v_conv.id;
        END IF;
        UPDATE inbound_messages SET status = 'automated', message_id = o_message_id, conversation_id = o_conversation_id, processed_at = clock_timestamp()
         WHERE id = p_inbound_id;
        o_outcome := 'automated';
        RETURN;
    END IF;

    o_customer_id := resolve_customer(v_store.id, m);
    IF o_customer_id IS NULL THEN
        PERFORM reject_inbound(p_inbound_id, 'missing_sender', 'the message names no email, phone, social handle or chat session');
        o_outcome := 'rejected';
        RETURN;
    END IF;
    PERFORM lock_customer(o_customer_id);
    SELECT * INTO v_customer FROM customers WHERE id = o_customer_id;
    -- A merge may have moved the referenced conversation to the surviving profile.
    IF v_found THEN SELECT * INTO v_conv FROM conversations WHERE id = v_conv.id; END IF;

    -- The subject token "[#1234]" names a conversation of this customer.
    IF NOT v_found AND v_subject ~ '\[#[0-9]{1,18}\]' THEN
        SELECT * INTO v_conv FROM conversations
         WHERE id = substring(v_subject FROM '\[#([0-9]{1,18})\]')::bigint AND store_id = v_store.id AND customer_id = o_customer_id;
        IF FOUND THEN v_found := true; v_how := 'subject_token'; END IF;
    END IF;

    -- The customer's live conversation on this channel (and in this chat session or thread).
    IF NOT v_found THEN
        SELECT * INTO v_conv FROM conversations
         WHERE customer_id = o_customer_id AND channel = v_channel AND status IN ('open', 'pending')
           AND last_message_at >= now() - v_window.thread_window
           AND (v_thread_key IS NULL OR thread_key = v_thread_key)
         ORDER BY last_message_at DESC LIMIT 1;
        IF FOUND THEN v_found := true; v_how := 'open_conversation'; END IF;
    END IF;

    -- A recently resolved one is reopened rather than a new one started.
    IF NOT v_found THEN
        SELECT * INTO v_conv FROM conversations
         WHERE customer_id = o_customer_id AND channel = v_channel AND status = 'resolved'
           AND resolved_at >= now() - v_window.reopen_window
           AND (v_thread_key IS NULL OR thread_key = v_thread_key)
         ORDER BY resolved_at DESC LIMIT 1;
        IF FOUND THEN v_found := true; v_how := 'recently_resolved'; END IF;
    END IF;

    IF v_found AND v_conv.status = 'closed' THEN
        v_found := false;   -- closed is final: the customer starts a new conversation
    END IF;

    IF v_found AND v_conv.status = 'resolved' THEN
        UPDATE conversations
           SET status = 'open', reopen_count = reopen_count + 1, reopened_at = now(), resolved_at = NULL
         WHERE id = v_conv.id
        RETURNING * INTO v_conv;
        v_reopened := true;
        INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
        VALUES ('conversation_reopened', v_conv.id, o_customer_id, jsonb_build_object('by', v_how, 'inbound_id', p_inbound_id));
    END IF;

    IF NOT v_found THEN
        INSERT INTO conversations (store_id, customer_id, channel, thread_key, subject, language)
        VALUES (v_store.id, o_customer_id, v_channel, v_thread_key, v_subject, v_language)
        RETURNING * INTO v_conv;
        v_new := true;
        v_how := 'new';
    END IF;
    o_conversation_id := v_conv.id;

    INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, full_text, body_html,
                          language, attachments, details, external_id, email_message_id, in_reply_to, "references", inbound_id)
    VALUES (v_store.id, v_conv.id, 'inbound', 'customer', v_channel, v_subject, v_text, m->>'full_text', m->>'html',
            v_language, coalesce(m->'attachments', '[]'), coalesce(m->'details', '{}'), v_inbound.external_id,
            nullif(m->>'message_id', ''), nullif(m->>'in_reply_to', ''),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]'))), p_inbound_id)
    ON CONFLICT DO NOTHING
    RETURNING id INTO o_message_id;
    IF o_message_id IS NULL THEN
        -- The same message is being ingested by another transaction right now; retrying sees it.
        RAISE EXCEPTION 'inbound message % is a repeated delivery being ingested concurrently', p_inbound_id
            USING ERRCODE = 'serialization_failure';
    END IF;

    -- Order numbers in the text (or the web form's field) link this customer's order.
    -- Rules see the text lower-cased by the worker (Unicode-correct whatever the database locale).
    v_match := coalesce(m->>'match_text', lower(coalesce(v_subject || E'\n', '') || v_text));
    v_candidates := order_number_candidates(m);
    IF cardinality(v_candidates) > 0 THEN
        SELECT * INTO v_order FROM orders
         WHERE store_id = v_store.id AND customer_id = o_customer_id AND number = ANY (v_candidates)
         ORDER BY placed_at DESC LIMIT 1;
        IF FOUND AND v_order.id IS DISTINCT FROM v_conv.order_id THEN
            INSERT INTO audit_events (kind, conversation_id, customer_id, order_id, detail)
            VALUES ('order_linked', v_conv.id, o_customer_id, v_order.id, jsonb_build_object('order_number', v_order.number));
        END IF;
    END IF;
    IF v_order.id IS NULL AND v_conv.order_id IS NOT NULL THEN
        SELECT * INTO v_order FROM orders WHERE id = v_conv.order_id;
    END IF;

    -- A category once, from the first message that scores.
    IF v_conv.category IS NULL THEN
        IF nullif(m->>'topic', '') IS NOT NULL AND EXISTS (SELECT 1 FROM categories WHERE name = lower(m->>'topic')) THEN
            v_conv.category := lower(m->>'topic');
        ELSE
            -- OFFSET 0 fences the cheap filters in: only the message's language's patterns are run.
            SELECT category, sum(weight) INTO v_conv.category, v_conv.category_score
              FROM (SELECT category, weight, pattern FROM category_rules
                     WHERE enabled AND (store_id IS NULL OR store_id = v_store.id)
                       AND (language = '*' OR v_language = 'unknown' OR language = v_language) OFFSET 0) AS r
             WHERE v_match ~* pattern
             GROUP BY category ORDER BY sum(weight) DESC, category LIMIT 1;
        END IF;
    END IF;

    -- An automatic answer: only to the first message of a new conversation, on a channel that
    -- can carry a reply, when one intent clearly wins.
    IF v_new AND v_channel <> 'phone' THEN
        SELECT (array_agg(intent ORDER BY score DESC, intent))[1] AS o_label,
               coalesce((array_agg(score ORDER BY score DESC, intent))[1], 0) AS o_score,
               coalesce((array_agg(score ORDER BY score DESC, intent))[2], 0) AS o_runner_up
          INTO v_intent
          FROM (SELECT intent, sum(weight) AS score
                  FROM (SELECT intent, weight, pattern FROM auto_answer_rules
                         WHERE enabled AND (store_id IS NULL OR store_id = v_store.id)
                           AND (language = '*' OR v_language = 'unknown' OR language = v_language) OFFSET 0) AS r
                 WHERE v_match ~* pattern
                 GROUP BY intent) AS s;
        IF v_intent.o_label IS NOT NULL THEN
            IF v_intent.o_score < v_settings.auto_answer_min_score OR v_intent.o_score <= v_intent.o_runner_up THEN
                INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
                VALUES ('auto_answer_skipped', v_conv.id, o_customer_id, jsonb_build_object(
                    'intent', v_intent.o_label, 'score', v_intent.o_score, 'runner_up', v_intent.o_runner_up,
                    'reason', 'not confident'));
            ELSE
                -- The customer's language when there is a template for it, else the store's.
                SELECT t.locale, t.body INTO v_locale, o_answer_template FROM auto_answer_templates t
                 WHERE t.intent = v_intent.o_label AND (t.store_id IS NULL OR t.store_id = v_store.id)
                   AND t.locale IN (v_language, v_customer.preferred_locale, v_store.default_locale, 'en')
                 ORDER BY t.locale = v_language DESC, t.locale = v_customer.preferred_locale DESC NULLS LAST,
                          t.locale = v_store.default_locale DESC, t.store_id IS NULL
                 LIMIT 1;
                IF v_intent.o_label = 'where_is_my_order' THEN
                    IF v_order.id IS NULL THEN
                        SELECT * INTO v_order FROM orders WHERE customer_id = o_customer_id ORDER BY placed_at DESC LIMIT 1;
                    END IF;
                    IF v_order.id IS NOT NULL AND o_answer_template IS NOT NULL THEN
                        o_answer_context := jsonb_build_object(
                            'order_number', v_order.number,
                            'status', coalesce((SELECT label FROM order_status_labels WHERE locale = v_locale AND status = v_order.status), v_order.status),
                            'carrier', v_order.carrier,
                            'tracking_number', v_order.tracking_number,
                            'tracking_url', v_order.tracking_url,
                            'estimated_delivery', v_order.estimated_delivery);
                    END IF;
                ELSIF o_answer_template IS NOT NULL THEN
                    SELECT body INTO v_policy FROM policy_texts
                     WHERE topic = v_intent.o_label AND (store_id IS NULL OR store_id = v_store.id) AND locale = v_locale
                     ORDER BY store_id IS NULL LIMIT 1;
                    IF v_policy IS NOT NULL THEN
                        o_answer_context := jsonb_build_object('policy', v_policy);
                    END IF;
                END IF;
                IF o_answer_context IS NULL THEN
                    o_answer_template := NULL;
                    INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
                    VALUES ('auto_answer_skipped', v_conv.id, o_customer_id, jsonb_build_object(
                        'intent', v_intent.o_label, 'score', v_intent.o_score,
                        'reason', CASE WHEN v_intent.o_label = 'where_is_my_order' AND v_order.id IS NULL THEN 'the customer has no order'
                                       ELSE 'no template or policy text for the locale' END));
                ELSE
                    o_answer_intent := v_intent.o_label;
                    o_answer_locale := v_locale;
                    o_answer_context := o_answer_context || jsonb_build_object('customer_name', v_customer.name);
                END IF;
            END IF;
        END IF;
    END IF;

    -- Priority hints; each raises priority one step from normal, and priority never drops here.
    v_hints := v_conv.priority_hints;
    IF v_customer.tier = 'vip' AND NOT 'vip' = ANY (v_hints) THEN
        v_hints := v_hints || 'vip'::text;
    END IF;
    IF NOT 'urgent_words' = ANY (v_hints) AND EXISTS (
        SELECT 1 FROM (SELECT pattern FROM urgency_rules
                        WHERE enabled AND (store_id IS NULL OR store_id = v_store.id)
                          AND (language = '*' OR v_language = 'unknown' OR language = v_language) OFFSET 0) AS r
         WHERE v_match ~* pattern) THEN
        v_hints := v_hints || 'urgent_words'::text;
    END IF;
    IF v_order.total >= v_settings.high_order_value AND NOT 'high_order_value' = ANY (v_hints) THEN
        v_hints := v_hints || 'high_order_value'::text;
    END IF;
    v_priority := least(v_conv.priority, 3 - least(2, cardinality(v_hints)));

    UPDATE conversations
       SET status = CASE WHEN status = 'pending' THEN 'open' ELSE status END,
           language = CASE WHEN language = 'unknown' THEN v_language ELSE language END,
           subject = coalesce(subject, v_subject),
           category = v_conv.category,
           category_score = v_conv.category_score,
           priority = v_priority,
           priority_hints = v_hints,
           order_id = coalesce(v_order.id, order_id),
           message_count = message_count + 1,
           last_message_at = now(),
           last_customer_message_at = now(),
           updated_at = now()
     WHERE id = v_conv.id
    RETURNING * INTO v_conv;
    IF v_customer.preferred_locale IS NULL AND v_language <> 'unknown' THEN
        UPDATE customers SET preferred_locale = v_language WHERE id = o_customer_id;
    END IF;

    IF v_new THEN
        INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
        VALUES ('conversation_created', v_conv.id, o_customer_id, jsonb_build_object(
            'channel', v_channel, 'language', v_language, 'category', v_conv.category, 'priority', v_conv.priority,
            'priority_hints', to_jsonb(v_conv.priority_hints), 'inbound_id', p_inbound_id));
    END IF;

    -- Whatever no bot answers goes to routing: new conversations, reopened ones, and
    -- conversations with no agent yet.
    IF o_answer_intent IS NULL AND (v_new OR v_reopened OR v_conv.agent_id IS NULL) THEN
        PERFORM request_route(v_conv.id);
    END IF;

    UPDATE inbound_messages SET status = 'processed', message_id = o_message_id, conversation_id = v_conv.id, processed_at = clock_timestamp()
     WHERE id = p_inbound_id;
    o_outcome := CASE WHEN v_new THEN 'new_conversation' WHEN v_reopened THEN 'reopened' ELSE 'threaded' END;
END $$;

-- Records the bot's answers to customers' messages: for each, the bot's message, its outbox row
-- (sent later by the notification worker, one per question: keyed by the inbound row, durable
-- before ingest starts) and the audit event. The conversation then waits on the customer
-- (pending) — unless they have written again meanwhile, in which case a person takes over.
-- Its one statement joins by key: without enable_seqscan = off, the generic plan cached while
-- the tables were small scanned all conversations once they had grown (4.1 ms a call, not 1.0).
-- Without JIT, which the disabled scans' cost estimate would otherwise invite (see offer_waiting).
CREATE OR REPLACE FUNCTION record_auto_answers(p_question_message_ids bigint[], p_intents text[], p_locales text[], p_bodies text[])
RETURNS void LANGUAGE plpgsql
SET enable_seqscan = off
SET jit = off AS $$
DECLARE
    v_answered bigint[];
BEGIN
    WITH answers AS (
        SELECT a.question, a.intent, a.locale, a.body, q.conversation_id, q.inbound_id, q.email_message_id AS question_email_id,
               q."references" AS question_references, c.store_id, c.customer_id, c.channel,
               CASE WHEN c.subject IS NULL THEN NULL WHEN c.subject ~* '^re:' THEN c.subject ELSE 'Re: ' || c.subject END AS subject,
               coalesce(split_part(s.support_email, '@', 2), 'switchboard.invalid') AS mail_domain
          FROM unnest(p_question_message_ids, p_intents, p_locales, p_bodies) AS a(question, intent, locale, body)
          JOIN messages q ON q.id = a.question
          JOIN conversations c ON c.id = q.conversation_id
          JOIN stores s ON s.id = c.store_id),
    written AS (
        INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, language,
                              email_message_id, in_reply_to, "references", details)
        SELECT store_id, conversation_id, 'outbound', 'bot', channel, subject, body, locale,
               CASE WHEN channel IN ('email', 'webform') THEN '<' || gen_random_uuid() || '@' || mail_domain || '>' END,
               question_email_id,
               CASE WHEN question_email_id IS NULL THEN question_references ELSE question_references || question_email_id END,
               jsonb_build_object('intent', intent, 'answers_message_id', question)
          FROM answers
        RETURNING id, conversation_id, (details->>'answers_message_id')::bigint AS question),
    queued AS (
        INSERT INTO outbox (store_id, customer_id, conversation_id, message_id, kind, channel, locale, subject, body_text, idempotency_key)
        SELECT a.store_id, a.customer_id, a.conversation_id, w.id, 'auto_answer',
               CASE WHEN a.channel = 'webform' THEN 'email' ELSE a.channel END, a.locale, a.subject, a.body,
               'auto_answer:inbound:' || coalesce(a.inbound_id, -a.question)
          FROM answers a JOIN written w ON w.question = a.question
        RETURNING 1),
    audited AS (
        INSERT INTO audit_events (kind, actor_kind, conversation_id, customer_id, detail)
        SELECT 'auto_answered', 'bot', a.conversation_id, a.customer_id,
               jsonb_build_object('intent', a.intent, 'locale', a.locale, 'message_id', w.id)
          FROM answers a JOIN written w ON w.question = a.question
        RETURNING 1),
    updated AS (
        UPDATE conversations c
           SET status = CASE WHEN later.exists THEN c.status ELSE 'pending' END,
               auto_answered_intent = a.intent, message_count = c.message_count + 1,
               last_message_at = now(), updated_at = now()
          FROM answers a
          CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = a.conversation_id
                                                AND m.author_kind = 'customer' AND m.id > a.question) AS exists) AS later
         WHERE c.id = a.conversation_id
        RETURNING c.id, later.exists AS later)
    SELECT array_agg(id) FILTER (WHERE later) INTO v_answered FROM updated;
    -- A customer who wrote again meanwhile gets a person.
    IF v_answered IS NOT NULL THEN
        PERFORM request_route(VARIADIC v_answered);
    END IF;
END $$;

-- The order numbers a message names: tokens such as 1001, #1001 or SB-2001 in the subject and
-- text, the web form's order_number, each also upper-cased.
CREATE OR REPLACE FUNCTION order_numbers_in(m jsonb) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT v FROM (
        SELECT x[1] AS t
          FROM regexp_matches(coalesce(nullif(m->>'subject', '') || E'\n', '') || coalesce(m->>'text', ''),
                              '#?\m([A-Za-z]{0,4}-?[0-9]{3,12})\M', 'g') AS x
        UNION ALL
        SELECT ltrim(btrim(m->>'order_number'), '#') WHERE nullif(btrim(m->>'order_number'), '') IS NOT NULL
    ) AS found, LATERAL (VALUES (t), (upper(t))) AS variants(v)
$$;

-- The same as an array, for ingest_message; order_numbers_in is what a statement should call,
-- since PostgreSQL inlines it (this one, with its subquery, is planned anew at every call).
CREATE OR REPLACE FUNCTION order_number_candidates(m jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY(SELECT n FROM order_numbers_in(m) AS n)
$$;

-- Ingests a batch of parsed messages in the calling transaction, with the same outcome as
-- calling ingest_message for each in order, for a fraction of the cost: the common case — a
-- known customer writing again, with no threading headers — is done for the whole batch at
-- once, statement by statement (each rule's pattern is compiled once per batch, not per message).
-- Everything else (new customers and merges, email replies and subject tokens, auto-replies,
-- repeated deliveries, a second message of the same customer in the batch) goes through
-- ingest_message one by one, after, so it sees what the batch wrote.
CREATE OR REPLACE FUNCTION ingest_batch(p_ids bigint[], p_messages jsonb[], p_wait boolean DEFAULT true)
RETURNS TABLE (o_inbound_id bigint, o_outcome text, o_conversation_id bigint, o_message_id bigint, o_customer_id bigint,
               o_answer_intent text, o_answer_locale text, o_answer_template text, o_answer_context jsonb)
LANGUAGE plpgsql
-- The scratch table has no statistics, so the planner guesses it large: it would hash whole
-- tables and compile plans with JIT, where a few dozen index lookups do (nor scan them).
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
