-- Surveys: scheduled when a conversation is resolved (CSAT, CES) or an order delivered (the
-- post-delivery follow-up, NPS), superseded when the conversation reopens, decided and
-- handed to the notification worker by the survey worker (`survey_send`), answered from the
-- page their link opens. See docs/surveys.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- The survey settings of store p_store_id: its own row, else every store's.
CREATE OR REPLACE FUNCTION survey_settings_of(p_store_id bigint) RETURNS survey_settings LANGUAGE sql STABLE AS $$
    SELECT * FROM survey_settings WHERE store_id = p_store_id OR store_id IS NULL ORDER BY store_id NULLS LAST LIMIT 1
$$;

-- The survey worker's job for survey p_survey_id, due after p_delay.
CREATE OR REPLACE FUNCTION survey_enqueue(p_survey_id bigint, p_delay interval) RETURNS void LANGUAGE sql AS $$
    INSERT INTO jobs (queue, kind, args, run_at, state, max_attempts, unique_key)
    VALUES ('surveys', 'survey', jsonb_build_object('survey_id', p_survey_id), now() + p_delay,
            CASE WHEN p_delay > '0' THEN 'scheduled' ELSE 'available' END, 10, 'survey:' || p_survey_id)
$$;

-- Resolving a conversation schedules its CSAT survey (CES for the store's ces_categories), one
-- per resolution episode, due after the store's delay (a `survey` job on the surveys queue); reopening it supersedes the survey not
-- answered yet, and calls back its message if that has not left.
CREATE OR REPLACE FUNCTION surveys_follow_conversation() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    v_settings survey_settings;
    v_kind     text;
    v_id       bigint;
    v_outbox   bigint;
BEGIN
    IF NEW.status = 'resolved' THEN
        v_settings := survey_settings_of(NEW.store_id);
        -- CES instead of CSAT for the store's chosen categories.
        v_kind := CASE WHEN NEW.category = ANY (v_settings.ces_categories) THEN 'ces' ELSE 'csat' END;
        IF v_kind = 'ces' OR v_settings.csat_enabled THEN
            INSERT INTO surveys (store_id, customer_id, conversation_id, kind, episode, due_at)
            VALUES (NEW.store_id, NEW.customer_id, NEW.id, v_kind, NEW.reopen_count, now() + v_settings.csat_delay)
            ON CONFLICT (conversation_id, kind, episode) WHERE conversation_id IS NOT NULL DO NOTHING
            RETURNING id INTO v_id;
            IF v_id IS NOT NULL THEN
                PERFORM survey_enqueue(v_id, v_settings.csat_delay);
            END IF;
        END IF;
    ELSIF OLD.status = 'resolved' AND NEW.status IN ('open', 'pending') THEN
        FOR v_outbox IN
            UPDATE surveys SET status = 'superseded', reason = 'the conversation was reopened before an answer'
             WHERE conversation_id = NEW.id AND status IN ('scheduled', 'queued')
            RETURNING outbox_id
        LOOP
            IF v_outbox IS NOT NULL THEN
                PERFORM notify_cancel(v_outbox, 'survey superseded: the conversation was reopened');
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER surveys_follow_conversation AFTER UPDATE OF status ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION surveys_follow_conversation();

-- The customer's survey after an order is delivered, due after the store's post_delivery_delay:
-- NPS when they are due one (nps_enabled, at least nps_min_delivered delivered orders, none in
-- the last nps_every), else the post-delivery follow-up. One per order.
CREATE OR REPLACE FUNCTION surveys_follow_order() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    v_settings survey_settings;
    v_kind     text;
    v_id       bigint;
BEGIN
    IF NEW.status <> 'delivered' OR NEW.customer_id IS NULL OR (TG_OP = 'UPDATE' AND OLD.status = 'delivered') THEN
        RETURN NULL;
    END IF;
    v_settings := survey_settings_of(NEW.store_id);
    v_kind := CASE
        WHEN v_settings.nps_enabled
             AND (SELECT count(*) FROM orders o WHERE o.customer_id = NEW.customer_id AND o.status = 'delivered') >= v_settings.nps_min_delivered
             AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.customer_id = NEW.customer_id AND s.kind = 'nps'
                                AND coalesce(s.queued_at, s.created_at) > now() - v_settings.nps_every
                                AND s.status IN ('scheduled', 'queued', 'answered'))
            THEN 'nps'
        WHEN v_settings.post_delivery_enabled THEN 'post_delivery'
    END;
    IF v_kind IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO surveys (store_id, customer_id, order_id, kind, due_at)
    VALUES (NEW.store_id, NEW.customer_id, NEW.id, v_kind, now() + v_settings.post_delivery_delay)
    ON CONFLICT (order_id) WHERE order_id IS NOT NULL DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NOT NULL THEN
        PERFORM survey_enqueue(v_id, v_settings.post_delivery_delay);
    END IF;
    RETURN NULL;
END $$;

-- The triggers run with this schema's tables, whoever's statement fires them.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION surveys_follow_conversation() SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION surveys_follow_order() SET search_path = %I, pg_temp', current_schema());
END $$;

CREATE OR REPLACE TRIGGER surveys_follow_order_update AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (NEW.status = 'delivered' AND OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION surveys_follow_order();
CREATE OR REPLACE TRIGGER surveys_follow_order_insert AFTER INSERT ON orders
    FOR EACH ROW WHEN (NEW.status = 'delivered') EXECUTE FUNCTION surveys_follow_order();

-- The ratings a survey of kind p_kind takes: NPS 0–10, CES 1–7, CSAT and the post-delivery
-- follow-up 1–5 (as the surveys_rating_range constraint says).
CREATE OR REPLACE FUNCTION survey_scale(p_kind text, OUT o_low integer, OUT o_high integer) LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_kind WHEN 'nps' THEN 0 ELSE 1 END, CASE p_kind WHEN 'nps' THEN 10 WHEN 'ces' THEN 7 ELSE 5 END
$$;

-- Whether survey p_survey_id falls in its store's sample: the same answer every time it is asked.
CREATE OR REPLACE FUNCTION survey_sampled(p_survey_id bigint, p_percent numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p_percent >= 100 OR (hashtextextended('survey:' || p_survey_id, 0) & 9223372036854775807) % 10000 < p_percent * 100
$$;

-- The survey worker's step for survey p_survey_id, once due: either an outbox row for the
-- notification worker (which then applies consent, quiet hours, the WhatsApp window and the
-- contact budget, each recorded in notify_events), or the survey skipped with its reason.
-- Returns 'queued', 'skipped: <reason>', or null when the survey was no longer scheduled.
CREATE OR REPLACE FUNCTION survey_send(p_survey_id bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_survey   surveys;
    v_settings survey_settings;
    v_conv     conversations;
    v_order    orders;
    v_last     timestamptz;
    v_reason   text;
    v_channel  text;
    v_outbox   bigint;
BEGIN
    SELECT * INTO v_survey FROM surveys WHERE id = p_survey_id FOR UPDATE;
    IF NOT FOUND OR v_survey.status <> 'scheduled' THEN
        RETURN NULL;
    END IF;
    -- One decision per customer at a time, so two surveys cannot both pass the gap.
    PERFORM pg_advisory_xact_lock(hashtextextended('switchboard.survey:' || current_schema(), v_survey.customer_id));
    v_settings := survey_settings_of(v_survey.store_id);
    SELECT * INTO v_conv FROM conversations WHERE id = v_survey.conversation_id;
    SELECT max(s.queued_at) INTO v_last FROM surveys s
     WHERE s.customer_id = v_survey.customer_id AND s.id <> v_survey.id AND s.queued_at IS NOT NULL;
    SELECT * INTO v_order FROM orders WHERE id = v_survey.order_id;
    v_reason := CASE
        WHEN v_survey.kind = 'csat' AND NOT v_settings.csat_enabled THEN 'CSAT surveys are turned off for this store'
        WHEN v_survey.kind = 'post_delivery' AND NOT v_settings.post_delivery_enabled
            THEN 'post-delivery surveys are turned off for this store'
        WHEN v_survey.kind = 'nps' AND NOT v_settings.nps_enabled THEN 'NPS surveys are turned off for this store'
        WHEN v_conv.id IS NOT NULL AND v_conv.status NOT IN ('resolved', 'closed') THEN 'the conversation is no longer resolved'
        WHEN v_order.id IS NOT NULL AND v_order.status <> 'delivered' THEN format('the order is no longer delivered but %s', v_order.status)
        WHEN v_survey.kind = 'nps' AND EXISTS (
                 SELECT 1 FROM surveys s WHERE s.customer_id = v_survey.customer_id AND s.kind = 'nps' AND s.id <> v_survey.id
                    AND s.queued_at > now() - v_settings.nps_every)
            THEN format('the customer had an NPS survey in the last %s', v_settings.nps_every)
        WHEN v_survey.kind IN ('csat', 'ces') AND NOT v_settings.csat_after_bot
             AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = v_conv.id AND m.author_kind = 'bot')
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = v_conv.id AND m.author_kind = 'agent')
            THEN 'the bot resolved it without an agent, and CSAT after the bot is off (survey_settings.csat_after_bot)'
        WHEN NOT survey_sampled(v_survey.id, v_settings.sample_percent)
            THEN format('not in the sample: %s %% of surveys are sent (survey_settings.sample_percent)', v_settings.sample_percent)
        WHEN v_last > now() - v_settings.min_gap
            THEN format('the customer had a survey on %s, and gets at most one every %s', to_char(v_last, 'YYYY-MM-DD'), v_settings.min_gap)
        WHEN (SELECT ns.public_base_url FROM notify_settings ns) IS NULL
            THEN 'notify_settings.public_base_url is not set, so the survey would have no link to answer it'
    END;
    IF v_reason IS NOT NULL THEN
        UPDATE surveys SET status = 'skipped', reason = v_reason WHERE id = v_survey.id;
        RETURN 'skipped: ' || v_reason;
    END IF;
    -- The conversation's channel (a phone call is followed up by SMS, a web form by email); an
    -- order's survey by email, else SMS.
    v_channel := CASE coalesce(v_conv.channel, 'email') WHEN 'phone' THEN 'sms' WHEN 'webform' THEN 'email' ELSE coalesce(v_conv.channel, 'email') END;
    INSERT INTO outbox (store_id, customer_id, conversation_id, order_id, kind, purpose, channel, fallback_channels, locale, template_kind,
                        idempotency_key)
    VALUES (v_survey.store_id, v_survey.customer_id, v_survey.conversation_id, v_survey.order_id, 'survey_' || v_survey.kind, 'surveys',
            v_channel, CASE WHEN v_channel = 'email' THEN ARRAY['sms'] ELSE ARRAY['email'] END,
            notify_locale(v_survey.customer_id, v_survey.store_id), 'survey_' || v_survey.kind, 'survey:' || v_survey.id)
    RETURNING id INTO v_outbox;
    UPDATE surveys SET status = 'queued', outbox_id = v_outbox, queued_at = now() WHERE id = v_survey.id;
    RETURN 'queued';
END $$;

-- The links of the survey that outbox row p_row carries, made when the notification worker
-- renders it: `url` (the page) and `rate_N` (the page with rating N chosen). A new token each
-- time (only its SHA-256 is kept); null without notify_settings.public_base_url.
CREATE OR REPLACE FUNCTION survey_links(p_row outbox) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_base   text := (SELECT ns.public_base_url FROM notify_settings ns);
    v_token  text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
    v_kind   text;
    v_url    text;
BEGIN
    IF v_base IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE surveys s SET token_hash = sha256(convert_to(v_token, 'UTF8')),
                         expires_at = now() + (survey_settings_of(s.store_id)).expires_after
     WHERE s.outbox_id = p_row.id AND s.status = 'queued'
    RETURNING s.kind INTO v_kind;
    IF v_kind IS NULL THEN
        RETURN NULL;
    END IF;
    v_url := format('%s/s/%s', v_base, v_token);
    RETURN jsonb_build_object('url', v_url)
        || (SELECT jsonb_object_agg('rate_' || r, v_url || '?r=' || r)
              FROM survey_scale(v_kind) k, generate_series(k.o_low, k.o_high) AS r);
END $$;

-- What survey p_token is, for its page: no row when there is no such survey. Nothing is recorded.
-- `open` says whether it still takes an answer; `closed_reason` says why not.
CREATE OR REPLACE FUNCTION survey_show(p_token text)
RETURNS TABLE (kind text, status text, rating smallint, comment text, store_name text, locale text, expires_at timestamptz,
               open boolean, closed_reason text)
LANGUAGE sql STABLE AS $$
    SELECT s.kind, s.status, s.rating, s.comment, st.name, notify_locale(s.customer_id, s.store_id), s.expires_at,
           s.status IN ('queued', 'answered') AND s.expires_at > now(),
           CASE WHEN s.status IN ('superseded', 'skipped') THEN 'superseded'
                WHEN s.expires_at <= now() THEN 'expired' END
      FROM surveys s JOIN stores st ON st.id = s.store_id
     WHERE s.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
$$;

-- The customer's answer to survey p_token (p_source: link or reply): the rating, and a comment
-- when given (an empty one keeps the earlier). An answer may be changed until the survey expires.
-- Refused, saying why, when there is no such survey, it is closed, or the rating is out of range.
CREATE OR REPLACE FUNCTION survey_answer(p_token text, p_rating integer, p_comment text DEFAULT NULL, p_source text DEFAULT 'link')
RETURNS TABLE (survey_id bigint, changed boolean) LANGUAGE plpgsql AS $$
DECLARE
    v_survey surveys;
    v_low    integer;
    v_high   integer;
BEGIN
    SELECT * INTO v_survey FROM surveys s WHERE s.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such survey' USING ERRCODE = 'no_data_found';
    ELSIF v_survey.status IN ('superseded', 'skipped') THEN
        RAISE EXCEPTION 'this survey is closed: %', v_survey.reason USING ERRCODE = 'invalid_parameter_value';
    ELSIF v_survey.expires_at <= now() THEN
        RAISE EXCEPTION 'this survey expired at %', v_survey.expires_at USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k.o_low, k.o_high INTO v_low, v_high FROM survey_scale(v_survey.kind) k;
    IF p_rating IS NULL OR p_rating NOT BETWEEN v_low AND v_high THEN
        RAISE EXCEPTION 'a % rating is % to %, not %', v_survey.kind, v_low, v_high, coalesce(p_rating::text, 'missing')
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE surveys SET status = 'answered', rating = p_rating, comment = coalesce(nullif(btrim(p_comment), ''), comment),
                       answered_at = now(), answer_source = p_source
     WHERE id = v_survey.id;
    RETURN QUERY SELECT v_survey.id, v_survey.status = 'answered';
END $$;

-- The rating a reply's text p_text is, when it is nothing else: "5", "5.", "4/5", "4 / 5",
-- "10/10", in Arabic-Indic ("٥"), Persian ("۵") or full-width ("５") digits. Anything more
-- ("5 stars", "order 5", "5 and 4") is null: better an ordinary message than a wrong answer.
-- p_of: the denominator it may carry.
CREATE OR REPLACE FUNCTION survey_rating_in(p_text text, OUT o_rating integer, OUT o_of integer) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_text  text := btrim(translate(coalesce(p_text, ''), '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９／', '012345678901234567890123456789/'),
                          E' \t\r\n.!');
    v_parts text[];
BEGIN
    v_parts := regexp_match(v_text, '^([0-9]{1,2})(?:\s*/\s*([0-9]{1,2}))?$');
    IF v_parts IS NOT NULL THEN
        o_rating := v_parts[1]::integer;
        o_of := v_parts[2]::integer;
    END IF;
END $$;

-- The open survey that inbound message m (parsed, from customer p_customer_id) answers, and its
-- rating: the customer's latest survey sent on the message's channel, not expired or closed,
-- when the text is only a rating in the survey's range (and any denominator is its maximum).
CREATE OR REPLACE FUNCTION survey_reply_of(p_customer_id bigint, m jsonb, OUT o_survey_id bigint, OUT o_rating integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rating record;
BEGIN
    IF m->>'channel' NOT IN ('sms', 'social', 'chat') THEN
        RETURN;
    END IF;
    SELECT * INTO v_rating FROM survey_rating_in(m->>'text');
    IF v_rating.o_rating IS NULL THEN
        RETURN;
    END IF;
    SELECT s.id, v_rating.o_rating INTO o_survey_id, o_rating
      FROM surveys s JOIN outbox o ON o.id = s.outbox_id CROSS JOIN LATERAL survey_scale(s.kind) k
     WHERE s.customer_id = p_customer_id AND s.status IN ('queued', 'answered') AND s.expires_at > now()
       AND o.status = 'sent' AND notify_channel(o.channel) = m->>'channel'
       AND v_rating.o_rating BETWEEN k.o_low AND k.o_high
       AND (v_rating.o_of IS NULL OR v_rating.o_of = k.o_high)
     ORDER BY o.sent_at DESC LIMIT 1;
END $$;

-- Records inbound row p_inbound_id as the answer p_rating to survey p_survey_id (ingest_message).
CREATE OR REPLACE FUNCTION survey_record_reply(p_inbound_id bigint, p_survey_id bigint, p_rating integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE surveys SET status = 'answered', rating = p_rating, answered_at = now(), answer_source = 'reply',
                       answer_inbound_id = p_inbound_id
     WHERE id = p_survey_id;
    UPDATE inbound_messages SET status = 'survey_answer', processed_at = clock_timestamp() WHERE id = p_inbound_id;
END $$;
