-- The notification worker's SQL: every outbox row becomes a notify job in the transaction that
-- writes it; a send is recorded before it goes (sending) and after (sent with the provider's id,
-- or retry / failed in the provider's words), each step in notify_events. See docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- One notify job per pending outbox row, in the inserting transaction, due when the row may be
-- sent. SECURITY DEFINER: whoever may write the outbox need not be allowed to write jobs.
CREATE OR REPLACE FUNCTION enqueue_notify_jobs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobs (queue, kind, args, run_at, state, unique_key)
    SELECT 'notify', 'notify', jsonb_build_object('outbox_id', id), send_after,
           CASE WHEN send_after > now() THEN 'scheduled' ELSE 'available' END, 'notify:' || id
      FROM inserted WHERE status = 'pending' ORDER BY id;
    RETURN NULL;
END $$;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION enqueue_notify_jobs() SET search_path = %I, pg_temp', current_schema());
END $$;

CREATE OR REPLACE TRIGGER outbox_enqueue AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_notify_jobs();

-- The channel an outbox row leaves by: a web form was answered by email.
CREATE OR REPLACE FUNCTION notify_channel(p_channel text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_channel = 'webform' THEN 'email' ELSE p_channel END
$$;

-- The customer_identities kind that addresses a customer on an outbound channel.
CREATE OR REPLACE FUNCTION notify_identity_kind(p_channel text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE notify_channel(p_channel) WHEN 'sms' THEN 'phone' ELSE notify_channel(p_channel) END
$$;

-- Takes one send of provider p_provider_id's rate limit (p_rate a second, across every worker):
-- null when taken, else when its window reopens. Locks the provider's health row briefly, so
-- only providers with a limit pay for it.
CREATE OR REPLACE FUNCTION notify_rate_slot(p_provider_id bigint, p_rate numeric) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    -- Under one a second, a window holds one send; above, a second holds floor(rate) sends.
    v_window  interval := make_interval(secs => greatest(1, 1 / p_rate));
    v_allowed integer  := greatest(1, floor(p_rate));
    v_now     timestamptz := clock_timestamp();
    v_reopens timestamptz;
BEGIN
    INSERT INTO notify_provider_health (provider_id) VALUES (p_provider_id) ON CONFLICT DO NOTHING;
    UPDATE notify_provider_health h
       SET window_start = CASE WHEN v_now >= h.window_start + v_window THEN v_now ELSE h.window_start END,
           window_sends = CASE WHEN v_now >= h.window_start + v_window THEN 1 ELSE h.window_sends + 1 END
     WHERE h.provider_id = p_provider_id AND (v_now >= h.window_start + v_window OR h.window_sends < v_allowed);
    IF FOUND THEN
        RETURN NULL;
    END IF;
    SELECT h.window_start + v_window INTO v_reopens FROM notify_provider_health h WHERE h.provider_id = p_provider_id;
    RETURN v_reopens;
END $$;

-- The provider outbox row p_row goes through now: the channel's enabled providers, those whose
-- circuit is closed first, then those this row has failed at least often, then by priority;
-- taking a send of the provider's rate limit. When none can send now, p_provider is null and
-- p_wait_until / p_wait_reason say until when and why.
CREATE OR REPLACE FUNCTION notify_choose_provider(p_row outbox, OUT p_provider notify_providers,
                                                  OUT p_wait_until timestamptz, OUT p_wait_reason text)
LANGUAGE plpgsql AS $$
DECLARE
    v_channel   text := notify_channel(p_row.channel);
    v_candidate record;
    v_reopens   timestamptz;
    v_settings  notify_settings;
BEGIN
    SELECT * INTO v_settings FROM notify_settings;
    FOR v_candidate IN
        SELECT p.id, p.name, p.rate_limit, h.open_until, h.last_failure
          FROM notify_providers p LEFT JOIN notify_provider_health h ON h.provider_id = p.id
         WHERE p.channel = v_channel AND p.enabled
         ORDER BY coalesce(h.open_until > now(), false),
                  (SELECT count(*) FROM notify_events e WHERE e.outbox_id = p_row.id AND e.provider_id = p.id AND e.event = 'retry'),
                  p.priority, p.id
    LOOP
        IF v_candidate.open_until > now() THEN
            -- Rows come back spread over half a cooldown, not all at the instant it closes.
            v_reopens := v_candidate.open_until + v_settings.circuit_cooldown * random() / 2;
            p_wait_reason := coalesce(p_wait_reason || '; ', '') ||
                format('%s is unavailable until %s (circuit open after: %s)', v_candidate.name, v_candidate.open_until, v_candidate.last_failure);
        ELSIF v_candidate.rate_limit IS NOT NULL THEN
            v_reopens := notify_rate_slot(v_candidate.id, v_candidate.rate_limit);
            IF v_reopens IS NOT NULL THEN
                p_wait_reason := coalesce(p_wait_reason || '; ', '') ||
                    format('%s is at its rate limit of %s a second', v_candidate.name, v_candidate.rate_limit);
            END IF;
        ELSE
            v_reopens := NULL;
        END IF;
        IF v_reopens IS NULL THEN
            SELECT * INTO p_provider FROM notify_providers p WHERE p.id = v_candidate.id;
            p_wait_reason := NULL;
            RETURN;
        END IF;
        p_wait_until := least(p_wait_until, v_reopens);
    END LOOP;
    IF p_wait_reason IS NULL THEN
        p_wait_reason := format('no enabled provider sends %s', v_channel);
        p_wait_until := now() + v_settings.no_provider_wait;
    END IF;
END $$;

-- Where outbox row p_row goes: its recipient when it names one, else the customer's latest
-- address on the row's channel (on social channels, on the platform the conversation came from).
CREATE OR REPLACE FUNCTION notify_address(p_row outbox, OUT p_address text, OUT p_platform text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_row.recipient IS NOT NULL THEN
        p_address := p_row.recipient;
        SELECT nullif(i.platform, '') INTO p_platform FROM customer_identities i
         WHERE i.customer_id = p_row.customer_id AND i.kind = 'social' AND i.value = p_row.recipient AND notify_channel(p_row.channel) = 'social'
         ORDER BY i.last_seen_at DESC LIMIT 1;
        RETURN;
    END IF;
    IF notify_channel(p_row.channel) = 'social' THEN
        SELECT nullif(m.details->>'platform', '') INTO p_platform FROM messages m
         WHERE m.conversation_id = p_row.conversation_id AND m.direction = 'inbound' ORDER BY m.id DESC LIMIT 1;
    END IF;
    SELECT i.value, nullif(i.platform, '') INTO p_address, p_platform FROM customer_identities i
     WHERE i.customer_id = p_row.customer_id AND i.kind = notify_identity_kind(p_row.channel)
       AND (p_platform IS NULL OR i.platform = p_platform)
     ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1;
END $$;

-- Why the customer's consent refuses outbox row p_row, or null when it allows it. A reply to the
-- customer's own message on the channel they wrote from is always allowed (elsewhere it counts
-- as transactional); a message to a colleague (internal) is not the customer's to refuse.
CREATE OR REPLACE FUNCTION notify_consent_refusal(p_row outbox) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT CASE WHEN c.source = 'default'
                    THEN format('no consent for %s by %s: the customer never gave it, and %s needs it (consent_defaults)',
                                replace(q.purpose, '_', ' '), q.channel, replace(q.purpose, '_', ' '))
                    ELSE format('no consent for %s by %s: the customer refused it by %s (%s) at %s',
                                replace(q.purpose, '_', ' '), q.channel, replace(c.source, '_', ' '), coalesce(c.detail, '-'), c.occurred_at) END
          FROM (SELECT notify_channel(p_row.channel) AS channel,
                       CASE WHEN p_row.purpose <> 'reply' THEN p_row.purpose
                            WHEN p_row.conversation_id IS NULL
                              OR notify_channel((SELECT v.channel FROM conversations v WHERE v.id = p_row.conversation_id)) = notify_channel(p_row.channel)
                            THEN NULL ELSE 'transactional' END AS purpose) q
          CROSS JOIN LATERAL consent_of(p_row.customer_id, q.channel, q.purpose) c
         WHERE p_row.customer_id IS NOT NULL AND q.purpose IS NOT NULL AND q.purpose <> 'internal' AND NOT c.granted);
END $$;

-- Why outbox row p_row cannot go by WhatsApp now, or null: WhatsApp takes free text only within
-- notify_settings.whatsapp_window (24 hours) of the customer's last message there; outside it
-- only a template the provider approved (notify_templates.provider_template) may go.
CREATE OR REPLACE FUNCTION notify_whatsapp_closed(p_row outbox, p_platform text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
    SELECT format('outside WhatsApp''s %s service window (the customer last wrote there %s) and no approved template',
                  s.whatsapp_window, coalesce(l.at::text, 'never'))
      FROM notify_settings s
      LEFT JOIN LATERAL (SELECT max(m.created_at) AS at FROM conversations c JOIN messages m ON m.conversation_id = c.id
                          WHERE c.customer_id = p_row.customer_id AND c.channel = 'social' AND m.direction = 'inbound'
                            AND m.details->>'platform' = 'whatsapp') l ON true
     WHERE notify_channel(p_row.channel) = 'social' AND p_platform = 'whatsapp'
       AND (l.at IS NULL OR l.at < now() - s.whatsapp_window)
       AND NOT EXISTS (SELECT 1 FROM notify_template_for(p_row.store_id, p_row.template_kind, p_row.channel, p_row.locale) t
                        WHERE p_row.body_text IS NULL AND t.provider_template IS NOT NULL));
END $$;

-- Moves outbox row p_row on to the first of its fallback channels the customer can be reached
-- on and allows the row's purpose on, because p_reason; false when none is left.
CREATE OR REPLACE FUNCTION notify_next_channel(p_row outbox, p_reason text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_next text;
BEGIN
    SELECT u.ch INTO v_next FROM unnest(p_row.fallback_channels) WITH ORDINALITY AS u(ch, n)
     WHERE EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = p_row.customer_id AND i.kind = notify_identity_kind(u.ch))
       AND coalesce((SELECT c.granted FROM consent_of(p_row.customer_id, u.ch, p_row.purpose) c), true)
     ORDER BY u.n LIMIT 1;
    IF v_next IS NULL THEN
        RETURN false;
    END IF;
    UPDATE outbox SET channel = v_next, fallback_channels = array_remove(fallback_channels, v_next) WHERE id = p_row.id;
    INSERT INTO notify_events (outbox_id, event, detail)
    VALUES (p_row.id, 'failover', format('%s: on to %s', p_reason, v_next));
    RETURN true;
END $$;

-- Whether outbox row p_row, to p_address, may go now: not yet (o_wait_until; o_wait_reason
-- when it is held back rather than simply not due — quiet hours), or never (o_suppressed: the
-- address is suppressed, the customer's consent or a frequency cap refuses it). Rows a cap
-- counts take the customer's budget lock first, so two sends cannot both take the last place.
CREATE OR REPLACE FUNCTION notify_hold(p_row outbox, p_address text, p_platform text,
                                       OUT o_wait_until timestamptz, OUT o_wait_reason text, OUT o_suppressed text)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_row.send_after > now() THEN
        o_wait_until := p_row.send_after;
        RETURN;
    END IF;
    IF p_platform = 'whatsapp' THEN
        o_suppressed := notify_whatsapp_closed(p_row, p_platform);
    END IF;
    IF o_suppressed IS NOT NULL THEN
        -- Not WhatsApp's to take: the row's next channel, at once (notify_begin starts again).
        IF notify_next_channel(p_row, o_suppressed) THEN
            o_suppressed := NULL;
            o_wait_until := now();
        END IF;
        RETURN;
    END IF;
    SELECT format('%s is suppressed on %s since %s: %s', p_address, x.channel, x.created_at, x.reason) INTO o_suppressed
      FROM notify_suppressions x
     WHERE x.store_id = p_row.store_id AND x.channel = notify_channel(p_row.channel) AND x.address = lower(p_address);
    o_suppressed := coalesce(o_suppressed, notify_consent_refusal(p_row));
    IF o_suppressed IS NOT NULL THEN
        RETURN;
    END IF;
    o_suppressed := notify_stale(p_row);
    IF o_suppressed IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT q.until, q.reason INTO o_wait_until, o_wait_reason FROM notify_quiet_hours(p_row) q;
    IF o_wait_until IS NULL AND notify_capped(p_row) THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('switchboard.contact_budget:' || current_schema(), p_row.customer_id));
        o_suppressed := notify_cap_refusal(p_row);
    END IF;
END $$;

-- Starts sending outbox row p_outbox_id and returns what to send, where, and through which
-- provider, having recorded the attempt (status sending, attempts + 1, a 'sending' event). No
-- row when there is nothing to send: sent, failed or cancelled already. When the row cannot go
-- now, wait_until says until when: not due yet (nothing recorded), or no provider can send it
-- now (wait_reason says why: none enabled, circuits open, rate limits; recorded as 'deferred').
-- A row found 'sending' was being sent when its worker stopped: it goes again as the same
-- message (same Message-ID and idempotency key), the one duplicate a crash can cause.
-- A row naming a template instead of its text gets the template (template_body null when there
-- is none) and its variables, to render. An email that is not a reply or transactional gets
-- unsubscribe_url (List-Unsubscribe); one of a conversation gets reply_to, its signed address.
-- to_address is null when the customer has no address on the channel. When the address is
-- suppressed or the customer's consent refuses the row, it is 'suppressed' (no attempt made)
-- and `suppressed` says why.
-- Its checks (and notify_retry's) run on generic plans: they look rows up by key,
-- and PostgreSQL would otherwise plan many of them afresh on every call — the row's values fold
-- them into something cheaper to run but not to plan — which cost more than the checks themselves.
CREATE OR REPLACE FUNCTION notify_begin(p_outbox_id bigint)
RETURNS TABLE (outbox_id bigint, kind text, channel text, locale text, attempt integer, deadline timestamptz,
               wait_until timestamptz, wait_reason text, idempotency_key text, store_code text, conversation_id bigint,
               thread_key text, provider_id bigint, provider_kind text, endpoint text, username text, secret_ref text,
               settings jsonb, from_name text, from_address text, to_name text, to_address text, to_platform text,
               subject text, body_text text, message_id text, in_reply_to text, "references" text[], suppressed text,
               template_kind text, template_locale text, template_subject text, template_body text, variables jsonb,
               max_sms_segments integer, unsubscribe_url text, reply_to text, provider_template text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_row      outbox;
    v_store    stores;
    v_choice   record;
    v_from     text;
    v_question messages;
    v_to       record;
    v_hold     record;
    v_template notify_templates;
    v_variables jsonb;
    v_unsubscribe text;
    v_suppressed text;
BEGIN
    SELECT * INTO v_row FROM outbox o WHERE o.id = p_outbox_id FOR UPDATE;
    IF NOT FOUND OR v_row.status NOT IN ('pending', 'sending') THEN
        RETURN;
    END IF;
    SELECT * INTO v_store FROM stores s WHERE s.id = v_row.store_id;
    v_from := coalesce(v_store.support_email, (SELECT fallback_from FROM notify_settings));
    SELECT * INTO v_to FROM notify_address(v_row);
    SELECT NULL::notify_providers AS p_provider, NULL::timestamptz AS p_wait_until, NULL::text AS p_wait_reason INTO v_choice;
    SELECT * INTO v_hold FROM notify_hold(v_row, v_to.p_address, v_to.p_platform);
    v_suppressed := v_hold.o_suppressed;
    IF v_suppressed IS NOT NULL THEN
        UPDATE outbox o SET status = 'suppressed', last_error = v_suppressed WHERE o.id = v_row.id;
        INSERT INTO notify_events (outbox_id, event, detail) VALUES (v_row.id, 'suppressed', v_suppressed);
    ELSIF v_hold.o_wait_until IS NOT NULL THEN
        v_choice.p_wait_until := v_hold.o_wait_until;
        IF v_hold.o_wait_reason IS NOT NULL THEN
            PERFORM notify_defer(v_row.id, v_hold.o_wait_reason, v_hold.o_wait_until);
        END IF;
    ELSIF v_to.p_address IS NOT NULL THEN
        SELECT * INTO v_choice FROM notify_choose_provider(v_row);
        IF v_choice.p_wait_reason IS NOT NULL THEN
            PERFORM notify_defer(v_row.id, v_choice.p_wait_reason, v_choice.p_wait_until);
        END IF;
    END IF;
    -- Replies thread under the customer's latest message of the conversation.
    SELECT * INTO v_question FROM messages m
     WHERE m.conversation_id = v_row.conversation_id AND m.direction = 'inbound' AND m.email_message_id IS NOT NULL
     ORDER BY m.id DESC LIMIT 1;
    IF v_row.email_message_id IS NULL AND notify_channel(v_row.channel) = 'email' THEN
        -- The message's own id when it has one (the bot's answers), else one made from the
        -- outbox key; kept on the message so that the customer's answer threads by it.
        v_row.email_message_id := coalesce((SELECT m.email_message_id FROM messages m WHERE m.id = v_row.message_id),
            format('sb.%s.%s@%s', v_row.id, left(encode(sha256(convert_to(v_row.idempotency_key, 'UTF8')), 'hex'), 16),
                   coalesce(nullif(split_part(v_from, '@', 2), ''), 'switchboard.invalid')));
        IF v_row.message_id IS NOT NULL THEN
            UPDATE messages m SET email_message_id = v_row.email_message_id WHERE m.id = v_row.message_id AND m.email_message_id IS NULL;
        END IF;
    END IF;
    IF (v_choice.p_provider).id IS NOT NULL AND notify_channel(v_row.channel) = 'email'
       AND v_row.purpose IN ('order_updates', 'marketing', 'surveys') THEN
        -- One-click unsubscribe from this kind of mail (List-Unsubscribe, links.unsubscribe).
        v_unsubscribe := customer_link_create(v_row, 'unsubscribe', 'email', ARRAY[v_row.purpose]);
    END IF;
    IF (v_choice.p_provider).id IS NOT NULL AND v_row.body_text IS NULL THEN
        -- Rendered by the worker, once: a retry sends the text kept on the row.
        SELECT * INTO v_template FROM notify_template_for(v_row.store_id, v_row.template_kind, v_row.channel, v_row.locale);
        IF v_template.id IS NOT NULL THEN
            v_variables := notify_variables(v_row);
            v_variables := v_variables || jsonb_build_object('links', jsonb_strip_nulls(jsonb_build_object(
                'unsubscribe', v_unsubscribe,
                'sms_opt_in', CASE WHEN (v_variables->>'offer_sms_opt_in')::boolean
                                   THEN customer_link_create(v_row, 'sms_opt_in', 'sms', '{order_updates}') END,
                -- A survey's page and one link per rating (sql/definitions/surveys.sql).
                'survey', CASE WHEN v_row.purpose = 'surveys' THEN survey_links(v_row) END)));
        END IF;
    END IF;
    IF (v_choice.p_provider).id IS NOT NULL THEN
        UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, sending_at = now(), provider_id = (v_choice.p_provider).id,
                            email_message_id = v_row.email_message_id
         WHERE o.id = v_row.id RETURNING o.attempts INTO v_row.attempts;
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt)
        VALUES (v_row.id, 'sending', (v_choice.p_provider).id, v_row.attempts);
    END IF;
    RETURN QUERY
    SELECT v_row.id, v_row.kind, notify_channel(v_row.channel), v_row.locale, v_row.attempts,
           coalesce(v_row.requeued_at, v_row.created_at) + (SELECT retry_deadline FROM notify_settings), v_choice.p_wait_until,
           v_choice.p_wait_reason,
           v_row.idempotency_key, v_store.code, v_row.conversation_id,
           (SELECT c.thread_key FROM conversations c WHERE c.id = v_row.conversation_id),
           (v_choice.p_provider).id, (v_choice.p_provider).kind, (v_choice.p_provider).endpoint, (v_choice.p_provider).username,
           (v_choice.p_provider).secret_ref, (v_choice.p_provider).settings,
           v_store.name, v_from, (SELECT c.name FROM customers c WHERE c.id = v_row.customer_id), v_to.p_address, v_to.p_platform,
           v_row.subject, v_row.body_text, v_row.email_message_id, v_question.email_message_id,
           CASE WHEN v_question.id IS NULL THEN '{}'::text[]
                ELSE (v_question."references" || v_question.email_message_id)[greatest(1, cardinality(v_question."references") - 8):] END,
           v_suppressed, v_row.template_kind, v_template.locale, v_template.subject, v_template.body,
           v_variables, (SELECT ns.max_sms_segments FROM notify_settings ns),
           -- Without notify_settings.public_base_url there are no links: a mail to the shop, which an agent reads.
           coalesce(v_unsubscribe, CASE WHEN notify_channel(v_row.channel) = 'email' AND v_row.purpose IN ('order_updates', 'marketing', 'surveys')
                                        THEN format('mailto:%s?subject=unsubscribe', v_from) END),
           CASE WHEN notify_channel(v_row.channel) = 'email' AND v_row.purpose <> 'internal'
                THEN reply_token_address(v_from, v_row.conversation_id) END,
           v_template.provider_template;
END $$;

-- Which of outbox rows p_outbox_ids are on the common path, and the address and provider each
-- goes to: due, not on a social channel, with an address, nothing that suppresses or holds it
-- back (suppressions, consent, stale news, quiet hours), no frequency cap counting it, not
-- failed at a provider before, and the channel's first provider with a closed circuit taking it
-- without a rate limit. For them notify_hold has nothing to say and notify_choose_provider
-- picks that provider, so notify_begin(bigint[]) begins them together. Each test is one of
-- those two functions'; the cheap ones come first and spare most rows the function calls.
CREATE OR REPLACE FUNCTION notify_common_path(p_outbox_ids bigint[])
RETURNS TABLE (outbox_id bigint, provider_id bigint, to_address text, to_platform text)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN QUERY
    SELECT o.id, pr.id, a.address, a.platform
      FROM outbox o
      JOIN stores s ON s.id = o.store_id
     CROSS JOIN LATERAL (SELECT o.recipient AS address, NULL::text AS platform WHERE o.recipient IS NOT NULL
                         UNION ALL
                         (SELECT i.value, nullif(i.platform, '') FROM customer_identities i
                           WHERE o.recipient IS NULL AND i.customer_id = o.customer_id AND i.kind = notify_identity_kind(o.channel)
                           ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1)) a
     CROSS JOIN LATERAL (SELECT p.id, p.rate_limit FROM notify_providers p LEFT JOIN notify_provider_health h ON h.provider_id = p.id
                          WHERE p.channel = notify_channel(o.channel) AND p.enabled AND NOT coalesce(h.open_until > now(), false)
                          ORDER BY p.priority, p.id LIMIT 1) pr
     WHERE o.id = ANY (p_outbox_ids) AND o.status IN ('pending', 'sending') AND o.send_after <= now()
       AND notify_channel(o.channel) <> 'social' AND pr.rate_limit IS NULL
       AND (o.attempts = 0 OR NOT EXISTS (SELECT 1 FROM notify_events e WHERE e.outbox_id = o.id AND e.event = 'retry'))
       AND NOT EXISTS (SELECT 1 FROM notify_suppressions x
                        WHERE x.store_id = o.store_id AND x.channel = notify_channel(o.channel) AND x.address = lower(a.address))
       AND (o.customer_id IS NULL OR o.purpose = 'internal' OR (o.purpose = 'reply' AND o.conversation_id IS NULL)
            OR notify_consent_refusal(o) IS NULL)
       AND (o.variables->'event'->>'kind' IS NULL OR notify_stale(o) IS NULL)
       AND (o.customer_id IS NULL OR o.urgent OR o.purpose NOT IN ('order_updates', 'marketing', 'surveys')
            OR s.quiet_hours_start IS NULL OR s.quiet_hours_end IS NULL OR NOT EXISTS (SELECT 1 FROM notify_quiet_hours(o)))
       AND NOT notify_capped(o);
END $$;

-- notify_begin for outbox rows p_outbox_ids at once: the rows on the common path
-- (notify_common_path) are begun by a few statements for the whole batch; each of the others by
-- notify_begin(bigint), which is the definition — both paths give the same rows and record the
-- same (NotifyBatchBeginTests compares them). Rows are locked in the order of their customers,
-- so that batches running at once never wait on each other in a circle.
CREATE OR REPLACE FUNCTION notify_begin(p_outbox_ids bigint[])
RETURNS TABLE (outbox_id bigint, kind text, channel text, locale text, attempt integer, deadline timestamptz,
               wait_until timestamptz, wait_reason text, idempotency_key text, store_code text, conversation_id bigint,
               thread_key text, provider_id bigint, provider_kind text, endpoint text, username text, secret_ref text,
               settings jsonb, from_name text, from_address text, to_name text, to_address text, to_platform text,
               subject text, body_text text, message_id text, in_reply_to text, "references" text[], suppressed text,
               template_kind text, template_locale text, template_subject text, template_body text, variables jsonb,
               max_sms_segments integer, unsubscribe_url text, reply_to text, provider_template text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_settings  notify_settings;
    v_ids       bigint[];
    v_providers bigint[];
    v_addresses text[];
    v_platforms text[];
BEGIN
    SELECT * INTO v_settings FROM notify_settings;
    PERFORM FROM outbox o WHERE o.id = ANY (p_outbox_ids) ORDER BY o.customer_id, o.id FOR UPDATE;
    -- Kept, so that the next statement begins exactly what this one chose.
    SELECT coalesce(array_agg(c.outbox_id), '{}'), coalesce(array_agg(c.provider_id), '{}'),
           coalesce(array_agg(c.to_address), '{}'), coalesce(array_agg(c.to_platform), '{}')
      INTO v_ids, v_providers, v_addresses, v_platforms
      FROM notify_common_path(p_outbox_ids) c;

    RETURN QUERY
    WITH f AS MATERIALIZED (
        SELECT o AS r, o.id, f.provider_id, f.address, f.platform, s.code AS store_code, s.name AS store_name,
               coalesce(s.support_email, v_settings.fallback_from) AS from_address,
               notify_channel(o.channel) = 'email' AS email
          FROM unnest(v_ids, v_providers, v_addresses, v_platforms) AS f(id, provider_id, address, platform)
          JOIN outbox o ON o.id = f.id JOIN stores s ON s.id = o.store_id),
    m AS MATERIALIZED (
        SELECT f.*,
               CASE WHEN (f.r).email_message_id IS NULL AND f.email
                    THEN coalesce((SELECT x.email_message_id FROM messages x WHERE x.id = (f.r).message_id),
                                  format('sb.%s.%s@%s', f.id, left(encode(sha256(convert_to((f.r).idempotency_key, 'UTF8')), 'hex'), 16),
                                         coalesce(nullif(split_part(f.from_address, '@', 2), ''), 'switchboard.invalid')))
                    ELSE (f.r).email_message_id END AS email_message_id,
               CASE WHEN f.email AND (f.r).purpose IN ('order_updates', 'marketing', 'surveys')
                    THEN customer_link_create(f.r, 'unsubscribe', 'email', ARRAY[(f.r).purpose]) END AS unsubscribe
          FROM f),
    t AS MATERIALIZED (
        SELECT m.id, tp.locale, tp.subject, tp.body, tp.provider_template, notify_variables(m.r) AS variables
          FROM m CROSS JOIN LATERAL notify_template_for((m.r).store_id, (m.r).template_kind, (m.r).channel, (m.r).locale) tp
         WHERE (m.r).body_text IS NULL),
    rendered AS MATERIALIZED (
        SELECT t.*, t.variables || jsonb_build_object('links', jsonb_strip_nulls(jsonb_build_object(
                   'unsubscribe', m.unsubscribe,
                   'sms_opt_in', CASE WHEN (t.variables->>'offer_sms_opt_in')::boolean
                                      THEN customer_link_create(m.r, 'sms_opt_in', 'sms', '{order_updates}') END,
                   'survey', CASE WHEN (m.r).purpose = 'surveys' THEN survey_links(m.r) END))) AS all_variables
          FROM t JOIN m USING (id)),
    began AS (
        UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, sending_at = now(), provider_id = m.provider_id,
                            email_message_id = m.email_message_id
          FROM m WHERE o.id = m.id
        RETURNING o.id, o.attempts),
    logged AS (
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt)
        SELECT b.id, 'sending', m.provider_id, b.attempts FROM began b JOIN m USING (id) ORDER BY b.id),
    threaded AS (
        UPDATE messages x SET email_message_id = m.email_message_id
          FROM m WHERE x.id = (m.r).message_id AND x.email_message_id IS NULL AND (m.r).email_message_id IS NULL AND m.email)
    SELECT m.id, (m.r).kind, notify_channel((m.r).channel), (m.r).locale, b.attempts,
           coalesce((m.r).requeued_at, (m.r).created_at) + v_settings.retry_deadline, NULL::timestamptz, NULL::text,
           (m.r).idempotency_key, m.store_code, (m.r).conversation_id,
           (SELECT c.thread_key FROM conversations c WHERE c.id = (m.r).conversation_id),
           p.id, p.kind, p.endpoint, p.username, p.secret_ref, p.settings,
           m.store_name, m.from_address, (SELECT c.name FROM customers c WHERE c.id = (m.r).customer_id), m.address, m.platform,
           (m.r).subject, (m.r).body_text, m.email_message_id, q.email_message_id,
           CASE WHEN q.id IS NULL THEN '{}'::text[]
                ELSE (q."references" || q.email_message_id)[greatest(1, cardinality(q."references") - 8):] END,
           NULL::text, (m.r).template_kind, r.locale, r.subject, r.body, r.all_variables, v_settings.max_sms_segments,
           coalesce(m.unsubscribe, CASE WHEN m.email AND (m.r).purpose IN ('order_updates', 'marketing', 'surveys')
                                        THEN format('mailto:%s?subject=unsubscribe', m.from_address) END),
           CASE WHEN m.email AND (m.r).purpose <> 'internal' THEN reply_token_address(m.from_address, (m.r).conversation_id) END,
           r.provider_template
      FROM m JOIN began b ON b.id = m.id
      LEFT JOIN notify_providers p ON p.id = m.provider_id
      LEFT JOIN rendered r ON r.id = m.id
      LEFT JOIN LATERAL (SELECT x.id, x.email_message_id, x."references" FROM messages x
                          WHERE x.conversation_id = (m.r).conversation_id AND x.direction = 'inbound' AND x.email_message_id IS NOT NULL
                          ORDER BY x.id DESC LIMIT 1) q ON true;

    RETURN QUERY
    SELECT b.* FROM (SELECT o.id FROM outbox o WHERE o.id = ANY (p_outbox_ids) AND o.id <> ALL (v_ids) ORDER BY o.customer_id, o.id) u
     CROSS JOIN LATERAL notify_begin(u.id) b;
END $$;

-- The providers accepted outbox rows p_outbox_ids (their ids for them: p_provider_message_ids,
-- null or '' for none), in three statements for the whole batch; a provider that had been
-- failing is healthy again. A row no longer 'sending' is left as it is. (PL/pgSQL, so that its
-- plan is kept: as SQL it was planned again at every call, which cost as much as running it.)
CREATE OR REPLACE FUNCTION notify_sent(p_outbox_ids bigint[], p_provider_message_ids text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH sent AS (
        UPDATE outbox o SET status = 'sent', sent_at = now(), provider_message_id = nullif(s.message_id, ''), last_error = NULL
          FROM unnest(p_outbox_ids, p_provider_message_ids) AS s(id, message_id)
         WHERE o.id = s.id AND o.status = 'sending'
        RETURNING o.id, o.provider_id, o.attempts, o.provider_message_id),
    events AS (
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
        SELECT id, 'sent', provider_id, attempts, provider_message_id FROM sent ORDER BY id)
    UPDATE notify_provider_health h SET consecutive_failures = 0, open_until = NULL
     WHERE h.provider_id IN (SELECT sent.provider_id FROM sent) AND (h.consecutive_failures > 0 OR h.open_until IS NOT NULL);
END $$;

-- The provider accepted outbox row p_outbox_id (its id for it: p_provider_message_id). Kept for
-- the previous release's workers, which call it until a rolling update has replaced them.
CREATE OR REPLACE FUNCTION notify_sent(p_outbox_id bigint, p_provider_message_id text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    SELECT notify_sent(ARRAY[p_outbox_id], ARRAY[p_provider_message_id])
$$;

-- Outbox row p_outbox_id failed for now at its provider (p_reason, in the provider's words).
-- The provider's failure counts towards its circuit (open after notify_settings.circuit_failures
-- in a row; until p_provider_pause when the provider said when to come back). The row goes
-- again at once through another provider of the channel it has not failed at, when one can send
-- ('failover'), else at p_retry_at. Returns when it goes next; null when the row was not being sent.
CREATE OR REPLACE FUNCTION notify_retry(p_outbox_id bigint, p_reason text, p_retry_at timestamptz,
                                        p_provider_pause timestamptz DEFAULT NULL) RETURNS timestamptz
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_row      outbox;
    v_settings notify_settings;
    v_next     notify_providers;
    v_at       timestamptz := p_retry_at;
BEGIN
    SELECT * INTO v_row FROM outbox o WHERE o.id = p_outbox_id AND o.status = 'sending' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO v_settings FROM notify_settings;
    INSERT INTO notify_provider_health AS h (provider_id, consecutive_failures, last_failure, last_failure_at, open_until)
    VALUES (v_row.provider_id, 1, p_reason, now(),
            CASE WHEN v_settings.circuit_failures <= 1 THEN now() + v_settings.circuit_cooldown END)
    ON CONFLICT (provider_id) DO UPDATE
       SET consecutive_failures = h.consecutive_failures + 1, last_failure = excluded.last_failure, last_failure_at = now(),
           open_until = CASE WHEN h.consecutive_failures + 1 >= v_settings.circuit_failures
                             THEN greatest(h.open_until, now() + v_settings.circuit_cooldown) ELSE h.open_until END;
    IF p_provider_pause > now() THEN
        UPDATE notify_provider_health SET open_until = greatest(open_until, p_provider_pause) WHERE provider_id = v_row.provider_id;
    END IF;
    SELECT p.* INTO v_next FROM notify_providers p LEFT JOIN notify_provider_health h ON h.provider_id = p.id
     WHERE p.channel = notify_channel(v_row.channel) AND p.enabled AND p.id <> v_row.provider_id
       AND NOT coalesce(h.open_until > now(), false)
       AND NOT EXISTS (SELECT 1 FROM notify_events e WHERE e.outbox_id = v_row.id AND e.provider_id = p.id AND e.event = 'retry')
     ORDER BY p.priority, p.id LIMIT 1;
    IF v_next.id IS NOT NULL THEN
        v_at := now();
    END IF;
    UPDATE outbox SET status = 'pending', last_error = p_reason, send_after = v_at WHERE id = v_row.id;
    INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
    VALUES (v_row.id, 'retry', v_row.provider_id, v_row.attempts, format('%s; next attempt at %s', p_reason, v_at));
    IF v_next.id IS NOT NULL THEN
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
        VALUES (v_row.id, 'failover', v_next.id, v_row.attempts, format('the next attempt goes through %s', v_next.name));
    END IF;
    RETURN v_at;
END $$;

-- Outbox row p_outbox_id cannot be sent (p_reason): it fails, and is not tried again.
CREATE OR REPLACE FUNCTION notify_fail(p_outbox_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'failed', last_error = p_reason
     WHERE id = p_outbox_id AND status IN ('pending', 'sending');
    IF FOUND THEN
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
        SELECT id, 'failed', provider_id, attempts, p_reason FROM outbox WHERE id = p_outbox_id;
    END IF;
END $$;

-- Outbox row p_outbox_id cannot go on its channel (p_reason: every provider there refused it,
-- or kept failing past the deadline, or the customer has no address there). It moves on to the
-- next of its fallback channels where the customer can be reached and allows its purpose — a
-- 'failover' step, due at once, with a fresh deadline — and true is returned; without one it fails.
CREATE OR REPLACE FUNCTION notify_give_up(p_outbox_id bigint, p_reason text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_row outbox;
BEGIN
    SELECT * INTO v_row FROM outbox o WHERE o.id = p_outbox_id AND o.status IN ('pending', 'sending') FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF notify_next_channel(v_row, p_reason) THEN
        UPDATE outbox SET status = 'pending', send_after = now(), requeued_at = now(), provider_id = NULL, last_error = p_reason
         WHERE id = p_outbox_id;
        RETURN true;
    END IF;
    PERFORM notify_fail(p_outbox_id, p_reason);
    RETURN false;
END $$;

-- The provider refused address p_address of outbox row p_outbox_id for good (p_reason): nothing
-- more is sent to it on the row's channel until an admin deletes the suppression.
CREATE OR REPLACE FUNCTION notify_suppress(p_outbox_id bigint, p_address text, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_suppressions (store_id, channel, address, reason, outbox_id)
    SELECT o.store_id, notify_channel(o.channel), lower(p_address), p_reason, o.id FROM outbox o WHERE o.id = p_outbox_id
    ON CONFLICT DO NOTHING;
END $$;

-- Outbox row p_outbox_id waits, unsent and without an attempt counted, until p_until (p_reason:
-- say, no provider serves its channel yet).
CREATE OR REPLACE FUNCTION notify_defer(p_outbox_id bigint, p_reason text, p_until timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'pending', last_error = p_reason, send_after = p_until
     WHERE id = p_outbox_id AND status IN ('pending', 'sending');
    IF FOUND THEN
        INSERT INTO notify_events (outbox_id, event, detail)
        VALUES (p_outbox_id, 'deferred', format('%s; until %s', p_reason, p_until));
    END IF;
END $$;

-- A provider's delivery receipt for the message it knows as p_provider_message_id: delivered,
-- undelivered or read, at p_at (p_detail: its words, say an error code). A receipt never moves
-- a message back (read stays read when a late 'delivered' arrives). Returns the outbox row's
-- id, or null when provider p_provider_id sent no such message. The HTTP intake calls it.
CREATE OR REPLACE FUNCTION notify_receipt(p_provider_id bigint, p_provider_message_id text, p_status text,
                                          p_detail text DEFAULT NULL, p_at timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_rank    CONSTANT text[] := ARRAY['undelivered', 'delivered', 'read'];
    v_outbox  bigint;
BEGIN
    IF p_status IS NULL OR NOT p_status = ANY (v_rank) THEN
        RAISE EXCEPTION 'unknown delivery status %', coalesce(p_status, 'null')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'a receipt says delivered, undelivered or read';
    END IF;
    UPDATE outbox o
       SET delivery_status = CASE WHEN array_position(v_rank, p_status) >= coalesce(array_position(v_rank, o.delivery_status), 0)
                                  THEN p_status ELSE o.delivery_status END,
           delivery_status_at = CASE WHEN array_position(v_rank, p_status) >= coalesce(array_position(v_rank, o.delivery_status), 0)
                                     THEN p_at ELSE o.delivery_status_at END
     WHERE o.provider_id = p_provider_id AND o.provider_message_id = p_provider_message_id
    RETURNING o.id INTO v_outbox;
    IF v_outbox IS NOT NULL THEN
        INSERT INTO notify_events (outbox_id, occurred_at, event, provider_id, detail)
        VALUES (v_outbox, p_at, p_status, p_provider_id, p_detail);
    END IF;
    RETURN v_outbox;
END $$;

-- An operator sends outbox row p_outbox_id again (p_reason: why): a failed, suppressed or
-- cancelled row goes back to pending, due now, with a fresh retry deadline and a new job; its
-- checks (consent, suppressions, caps) run again. Returns false when the row was not in a state
-- to retry (pending, sending or sent).
CREATE OR REPLACE FUNCTION notify_requeue(p_outbox_id bigint, p_reason text DEFAULT 'requeued by an operator') RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'pending', send_after = now(), requeued_at = now(), last_error = NULL
     WHERE id = p_outbox_id AND status IN ('failed', 'suppressed', 'cancelled');
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO notify_events (outbox_id, event, detail) VALUES (p_outbox_id, 'requeued', p_reason);
    INSERT INTO jobs (queue, kind, args, run_at, state, unique_key)
    VALUES ('notify', 'notify', jsonb_build_object('outbox_id', p_outbox_id), now(), 'available', 'notify:' || p_outbox_id)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING;
    RETURN true;
END $$;

-- An operator stops outbox row p_outbox_id (p_reason: why): a pending row is cancelled and never
-- sent. Returns false when it was not pending (a row being sent cannot be called back).
CREATE OR REPLACE FUNCTION notify_cancel(p_outbox_id bigint, p_reason text DEFAULT 'cancelled by an operator') RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'cancelled', last_error = p_reason WHERE id = p_outbox_id AND status = 'pending';
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO notify_events (outbox_id, event, detail) VALUES (p_outbox_id, 'cancelled', p_reason);
    RETURN true;
END $$;

-- Each outbox row with its story: every event, oldest first, as JSON.
CREATE OR REPLACE VIEW notify_history AS
SELECT o.id AS outbox_id, o.kind, o.channel, o.status, o.attempts, o.last_error, o.created_at, o.sent_at,
       p.name AS provider, o.provider_message_id, o.email_message_id,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.occurred_at, 'event', e.event, 'attempt', e.attempt,
                                                     'provider', ep.name, 'detail', e.detail) ORDER BY e.id), '[]')
          FROM notify_events e LEFT JOIN notify_providers ep ON ep.id = e.provider_id
         WHERE e.outbox_id = o.id) AS events
  FROM outbox o LEFT JOIN notify_providers p ON p.id = o.provider_id;
