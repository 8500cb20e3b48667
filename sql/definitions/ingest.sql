-- The ingest worker's SQL: one message (ingest_message) or a batch (ingest_batch) into
-- conversations, the bot's answers, and route requests; the steps both go through are in
-- ingest_steps.sql. See docs/ingest.md.
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

-- A message of this store stored already under the provider's id (p_external_id on p_channel)
-- or the email's Message-ID: a repeated delivery. Index lookups; PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION ingest_stored_copy(p_store_id bigint, p_channel text, p_external_id text, p_message_id text)
RETURNS TABLE (id bigint, conversation_id bigint) LANGUAGE sql STABLE AS $$
    SELECT mm.id, mm.conversation_id FROM messages mm
     WHERE p_external_id IS NOT NULL AND mm.store_id = p_store_id AND mm.channel = p_channel
       AND mm.external_id = p_external_id AND mm.direction = 'inbound'
    UNION ALL
    SELECT mm.id, mm.conversation_id FROM messages mm
     WHERE nullif(p_message_id, '') IS NOT NULL AND mm.store_id = p_store_id
       AND mm.email_message_id = p_message_id AND mm.email_message_id IS NOT NULL
    LIMIT 1
$$;

-- The customer's live conversation on channel p_channel (and in chat session or thread
-- p_thread_key, when the message has one): open or pending, written in within the channel's
-- thread window. PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION ingest_live_conversation(p_customer_id bigint, p_channel text, p_thread_key text)
RETURNS TABLE (id bigint, status text) LANGUAGE sql STABLE AS $$
    SELECT c.id, c.status FROM conversations c JOIN channel_settings cs ON cs.channel = c.channel
     WHERE c.customer_id = p_customer_id AND c.channel = p_channel AND c.status IN ('open', 'pending')
       AND c.last_message_at >= now() - cs.thread_window AND (p_thread_key IS NULL OR c.thread_key = p_thread_key)
     ORDER BY c.last_message_at DESC LIMIT 1
$$;

-- The customer's conversation on p_channel (and in p_thread_key) resolved within the channel's
-- reopen window: a message reopens it rather than starting a new one. PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION ingest_resolved_conversation(p_customer_id bigint, p_channel text, p_thread_key text)
RETURNS TABLE (id bigint, status text) LANGUAGE sql STABLE AS $$
    SELECT c.id, c.status FROM conversations c JOIN channel_settings cs ON cs.channel = c.channel
     WHERE c.customer_id = p_customer_id AND c.channel = p_channel AND c.status = 'resolved'
       AND c.resolved_at >= now() - cs.reopen_window AND (p_thread_key IS NULL OR c.thread_key = p_thread_key)
     ORDER BY c.resolved_at DESC LIMIT 1
$$;

-- The conversation of store p_store_id an email answers: the newest message among the ids its
-- In-Reply-To and References name.
CREATE OR REPLACE FUNCTION ingest_replied_conversation(p_store_id bigint, m jsonb) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_refs text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]')));
BEGIN
    IF nullif(m->>'in_reply_to', '') IS NOT NULL THEN
        v_refs := array_prepend(m->>'in_reply_to', v_refs);
    END IF;
    IF cardinality(v_refs) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT mm.conversation_id FROM messages mm
             WHERE mm.store_id = p_store_id AND mm.email_message_id = ANY (v_refs)
             ORDER BY mm.id DESC LIMIT 1);
END $$;

-- Where a message of customer p_customer_id belongs, and how it was found: the conversation
-- its email headers answer (p_replied), the one whose signed Reply-To address it was sent to,
-- the one its subject token "[#1234]" names, the
-- customer's live conversation, or one resolved recently (o_status 'resolved': reopen it).
-- Closed is final, and nothing found means a new conversation: o_conversation_id is null.
CREATE OR REPLACE FUNCTION ingest_find_conversation(p_store_id bigint, p_customer_id bigint, p_replied bigint, m jsonb,
    OUT o_conversation_id bigint, OUT o_status text, OUT o_how text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_subject    text := nullif(m->>'subject', '');
    v_thread_key text := nullif(m->>'thread_id', '');
BEGIN
    -- Read again: a merge may have moved the answered conversation to the surviving profile.
    SELECT c.id, c.status, 'references' INTO o_conversation_id, o_status, o_how FROM conversations c WHERE c.id = p_replied;
    IF o_conversation_id IS NULL AND m->>'recipients' ~ '\+c[0-9]+\.[0-9a-f]{10}@' THEN
        -- Sent to a conversation's signed Reply-To address (customer_links.sql): threads even when
        -- the mail client dropped the headers; only the customer's own conversations.
        SELECT c.id, c.status, 'reply_token' INTO o_conversation_id, o_status, o_how FROM conversations c
         WHERE c.id = (SELECT t.id FROM jsonb_array_elements_text(m->'recipients') AS r, reply_token_conversation(r) AS t(id)
                        WHERE t.id IS NOT NULL LIMIT 1)
           AND c.store_id = p_store_id AND c.customer_id = p_customer_id;
    END IF;
    IF o_conversation_id IS NULL AND v_subject ~ '\[#[0-9]{1,18}\]' THEN
        SELECT c.id, c.status, 'subject_token' INTO o_conversation_id, o_status, o_how FROM conversations c
         WHERE c.id = substring(v_subject FROM '\[#([0-9]{1,18})\]')::bigint AND c.store_id = p_store_id
           AND c.customer_id = p_customer_id;
    END IF;
    IF o_conversation_id IS NULL THEN
        SELECT c.id, c.status, 'open_conversation' INTO o_conversation_id, o_status, o_how
          FROM ingest_live_conversation(p_customer_id, m->>'channel', v_thread_key) c;
    END IF;
    IF o_conversation_id IS NULL THEN
        SELECT c.id, c.status, 'recently_resolved' INTO o_conversation_id, o_status, o_how
          FROM ingest_resolved_conversation(p_customer_id, m->>'channel', v_thread_key) c;
    END IF;
    IF o_status = 'closed' THEN
        o_conversation_id := NULL; o_status := NULL; o_how := NULL;
    END IF;
END $$;

-- Records an auto-reply or a bounce on the conversation it answers (p_conversation_id, when its
-- headers name one) and nothing more: no conversation is opened, reopened or routed. The
-- addresses a hard bounce or complaint names are suppressed. Returns the stored message's id,
-- if any.
CREATE OR REPLACE FUNCTION ingest_record_automatic(p_inbound inbound_messages, p_store_id bigint, p_conversation_id bigint, m jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_message_id bigint;
BEGIN
    IF p_conversation_id IS NOT NULL THEN
        INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, subject, body_text, full_text,
                              body_html, attachments, external_id, email_message_id, in_reply_to, "references",
                              automatic_reason, inbound_id)
        VALUES (p_store_id, p_conversation_id, 'inbound', 'system', m->>'channel', nullif(m->>'subject', ''),
                coalesce(m->>'text', ''), m->>'full_text', m->>'html', coalesce(m->'attachments', '[]'), p_inbound.external_id,
                nullif(m->>'message_id', ''), nullif(m->>'in_reply_to', ''),
                ARRAY(SELECT jsonb_array_elements_text(coalesce(m->'references', '[]'))), m->>'automatic_reason', p_inbound.id)
        ON CONFLICT DO NOTHING
        RETURNING id INTO v_message_id;
        INSERT INTO audit_events (kind, conversation_id, customer_id, detail)
        SELECT 'automatic_mail', c.id, c.customer_id, jsonb_build_object('reason', m->>'automatic_reason', 'inbound_id', p_inbound.id)
          FROM conversations c WHERE c.id = p_conversation_id;
    END IF;
    UPDATE inbound_messages SET status = 'automated', message_id = v_message_id, conversation_id = p_conversation_id,
                                processed_at = clock_timestamp()
     WHERE id = p_inbound.id;
    -- A hard bounce or a complaint: nothing more goes to that address (notify_suppressions).
    INSERT INTO notify_suppressions (store_id, channel, address, reason)
    SELECT p_store_id, 'email', lower(f->>'address'),
           format('%s reported by %s: %s', replace(f->>'kind', '_', ' '), coalesce(nullif(m->>'email', ''), 'a mail server'), f->>'detail')
      FROM jsonb_array_elements(coalesce(m->'delivery_failures', '[]')) AS f
     WHERE f->>'address' LIKE '%_@_%'
    ON CONFLICT DO NOTHING;
    RETURN v_message_id;
END $$;

-- Turns one parsed inbound message into a message of a conversation, in the calling
-- transaction. `m` is the parsed message (docs/ingest.md lists its fields). Returns what
-- happened and, when the message should be answered automatically, the answer's template and
-- its variables: the worker renders it and calls record_auto_answers, or request_route when it
-- cannot. Placing it is its own (replies, subject tokens, new customers and merges); from there
-- it goes through the steps a batch's messages go through (ingest_current_items).
CREATE OR REPLACE FUNCTION ingest_message(p_inbound_id bigint, m jsonb,
    OUT o_outcome text, OUT o_conversation_id bigint, OUT o_message_id bigint, OUT o_customer_id bigint,
    OUT o_answer_intent text, OUT o_answer_locale text, OUT o_answer_template text, OUT o_answer_context jsonb)
LANGUAGE plpgsql
-- Its lookups are all by key. Called by ingest_batch, it runs with the batch's settings (no
-- JIT, hash and merge joins or sequential scans), and so do the steps it shares with the batch.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_inbound inbound_messages;
    v_store   stores;
    v_replied bigint;
    v_place   record;
    v_keyword record;
    v_survey  record;
BEGIN
    SELECT * INTO v_inbound FROM inbound_messages WHERE id = p_inbound_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inbound message % does not exist', p_inbound_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_inbound.status <> 'received' THEN
        SELECT 'already_' || v_inbound.status, v_inbound.conversation_id, v_inbound.message_id INTO o_outcome, o_conversation_id, o_message_id;
        RETURN;
    END IF;
    SELECT * INTO v_store FROM stores WHERE CASE WHEN v_inbound.store IS NULL THEN is_default ELSE code = v_inbound.store END;
    IF NOT FOUND THEN
        PERFORM reject_inbound(p_inbound_id, 'unknown_store', CASE WHEN v_inbound.store IS NULL THEN 'no store is marked as the default'
                                                                   ELSE format('no store has the code %L', v_inbound.store) END);
        o_outcome := 'rejected';
        RETURN;
    END IF;
    SELECT d.id, d.conversation_id INTO o_message_id, o_conversation_id
      FROM ingest_stored_copy(v_store.id, m->>'channel', v_inbound.external_id, m->>'message_id') d;
    IF o_message_id IS NOT NULL THEN
        UPDATE inbound_messages SET status = 'duplicate', message_id = o_message_id, conversation_id = o_conversation_id,
                                    processed_at = clock_timestamp()
         WHERE id = p_inbound_id;
        o_outcome := 'duplicate';
        RETURN;
    END IF;
    v_replied := ingest_replied_conversation(v_store.id, m);
    IF m->>'automatic_reason' IS NOT NULL THEN
        SELECT 'automated', ingest_record_automatic(v_inbound, v_store.id, v_replied, m), v_replied
          INTO o_outcome, o_message_id, o_conversation_id;
        RETURN;
    END IF;
    o_customer_id := resolve_customer(v_store.id, m);
    IF o_customer_id IS NULL THEN
        PERFORM reject_inbound(p_inbound_id, 'missing_sender', 'the message names no email, phone, social handle or chat session');
        o_outcome := 'rejected';
        RETURN;
    END IF;
    PERFORM lock_customer(o_customer_id);
    SELECT * INTO v_keyword FROM consent_keyword_of(m);
    IF FOUND THEN
        PERFORM ingest_consent_keyword(v_inbound, v_store, o_customer_id, m, v_keyword.keyword, v_keyword.action, v_keyword.language);
        o_outcome := 'consent';
        RETURN;
    END IF;
    -- A reply that is only a rating answers the customer's open survey (sql/definitions/surveys.sql).
    SELECT * INTO v_survey FROM survey_reply_of(o_customer_id, m);
    IF v_survey.o_survey_id IS NOT NULL THEN
        PERFORM survey_record_reply(p_inbound_id, v_survey.o_survey_id, v_survey.o_rating);
        o_outcome := 'survey_answer';
        RETURN;
    END IF;
    SELECT * INTO v_place FROM ingest_find_conversation(v_store.id, o_customer_id, v_replied, m);

    -- The message's scratch row (ingest_batch added it already) is the one current row while
    -- the steps run.
    IF to_regclass('pg_temp.ingest_items') IS NULL THEN
        PERFORM ingest_items_ready();
    END IF;
    FOR v_attempt IN 1 .. 2 LOOP
        UPDATE ingest_items
           SET current = true, store_id = v_store.id, customer_id = o_customer_id, conversation_id = v_place.o_conversation_id,
               placement = CASE WHEN v_place.o_conversation_id IS NULL THEN 'new_conversation'
                                WHEN v_place.o_status = 'resolved' THEN 'reopened' ELSE 'threaded' END,
               placed_by = coalesce(v_place.o_how, 'new')
         WHERE inbound_id = p_inbound_id;
        EXIT WHEN FOUND;
        PERFORM ingest_items_add(ARRAY[p_inbound_id], ARRAY[m]);
    END LOOP;
    PERFORM ingest_current_items();
    UPDATE ingest_items w SET current = false WHERE w.current
    RETURNING w.placement, w.conversation_id, w.message_id, CASE WHEN w.answer_context IS NOT NULL THEN w.intent END,
              w.answer_locale, w.answer_template, w.answer_context
         INTO o_outcome, o_conversation_id, o_message_id, o_answer_intent, o_answer_locale, o_answer_template, o_answer_context;
END $$;

-- Ingests a batch of parsed messages in the calling transaction, with the same outcome as
-- calling ingest_message for each in order, for a fraction of the cost: the common case — a
-- known or new customer writing again, with no threading headers — is placed for the whole
-- batch at once and goes through the steps together (each rule's pattern is compiled once per
-- batch, not per message). Everything else (merges, email replies and subject tokens,
-- auto-replies, repeated deliveries, a second message of the same customer in the batch) goes
-- through ingest_message one by one, after, so it sees what the batch wrote.
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
    v_slow_ids      bigint[];
    v_slow_messages jsonb[];
BEGIN
    IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_messages) THEN
        RAISE EXCEPTION 'ingest_batch: % ids but % messages', cardinality(p_ids), cardinality(p_messages);
    END IF;
    PERFORM ingest_items_ready();
    DELETE FROM ingest_items;
    PERFORM 1 FROM inbound_messages WHERE id = ANY (p_ids) ORDER BY id FOR UPDATE;
    PERFORM ingest_items_add(p_ids, p_messages);
    PERFORM ingest_claim_customers(p_wait);
    PERFORM ingest_add_customers();
    PERFORM ingest_place_fast();
    PERFORM ingest_current_items();

    RETURN QUERY
        SELECT w.inbound_id, w.placement, w.conversation_id, w.message_id, w.customer_id,
               CASE WHEN w.answer_context IS NOT NULL THEN w.intent END, w.answer_locale, w.answer_template, w.answer_context
          FROM ingest_items w WHERE w.fast ORDER BY w.ord;
    RETURN QUERY
        SELECT w.inbound_id, 'deferred'::text, NULL::bigint, NULL::bigint, w.customer_id, NULL::text, NULL::text, NULL::text, NULL::jsonb
          FROM ingest_items w WHERE w.deferred ORDER BY w.ord;

    UPDATE ingest_items SET current = false WHERE current;
    SELECT array_agg(inbound_id ORDER BY ord), array_agg(m ORDER BY ord) INTO v_slow_ids, v_slow_messages
      FROM ingest_items WHERE NOT fast AND NOT deferred;
    FOR v_i IN 1 .. coalesce(cardinality(v_slow_ids), 0) LOOP
        RETURN QUERY
            SELECT v_slow_ids[v_i], r.o_outcome, r.o_conversation_id, r.o_message_id, r.o_customer_id,
                   r.o_answer_intent, r.o_answer_locale, r.o_answer_template, r.o_answer_context
              FROM ingest_message(v_slow_ids[v_i], v_slow_messages[v_i]) AS r;
    END LOOP;
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
               -- Without brackets, as ingest reads the ids a customer's reply names.
               CASE WHEN channel IN ('email', 'webform') THEN gen_random_uuid() || '@' || mail_domain END,
               question_email_id,
               CASE WHEN question_email_id IS NULL THEN question_references ELSE question_references || question_email_id END,
               jsonb_build_object('intent', intent, 'answers_message_id', question)
          FROM answers
        RETURNING id, conversation_id, (details->>'answers_message_id')::bigint AS question),
    queued AS (
        INSERT INTO outbox (store_id, customer_id, conversation_id, message_id, kind, purpose, channel, locale, subject, body_text,
                            idempotency_key)
        SELECT a.store_id, a.customer_id, a.conversation_id, w.id, 'auto_answer', 'reply',
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
