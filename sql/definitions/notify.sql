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

-- Starts sending outbox row p_outbox_id and returns what to send, where, and through which
-- provider, having recorded the attempt (status sending, attempts + 1, a 'sending' event). No
-- row when there is nothing to send: sent, failed or cancelled already. A row not due yet
-- (due_at in the future) is returned without an attempt: wait until then. A row
-- found 'sending' was being sent when its worker stopped: it goes again as the same message
-- (same Message-ID), the one duplicate a crash can cause. provider_id is null when no enabled
-- provider serves the channel; to_address null when the customer has no address on it;
-- suppressed says why when the address is suppressed (then no attempt is recorded).
CREATE OR REPLACE FUNCTION notify_begin(p_outbox_id bigint)
RETURNS TABLE (outbox_id bigint, kind text, channel text, locale text, attempt integer, due_at timestamptz, deadline timestamptz,
               provider_id bigint, provider_kind text, endpoint text, username text, secret_ref text, settings jsonb,
               from_name text, from_address text, to_name text, to_address text, subject text, body_text text,
               message_id text, in_reply_to text, "references" text[], suppressed text)
LANGUAGE plpgsql AS $$
DECLARE
    v_row      outbox;
    v_provider notify_providers;
    v_from     text;
    v_question messages;
    v_to       text;
    v_suppressed text;
BEGIN
    SELECT * INTO v_row FROM outbox o WHERE o.id = p_outbox_id FOR UPDATE;
    IF NOT FOUND OR v_row.status NOT IN ('pending', 'sending') THEN
        RETURN;
    END IF;
    SELECT * INTO v_provider FROM notify_providers p
     WHERE p.channel = notify_channel(v_row.channel) AND p.enabled ORDER BY p.priority, p.id LIMIT 1;
    SELECT coalesce(s.support_email, (SELECT fallback_from FROM notify_settings)) INTO v_from FROM stores s WHERE s.id = v_row.store_id;
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
        UPDATE messages m SET email_message_id = v_row.email_message_id WHERE m.id = v_row.message_id AND m.email_message_id IS NULL;
    END IF;
    v_to := coalesce(v_row.recipient,
                     (SELECT i.value FROM customer_identities i WHERE i.customer_id = v_row.customer_id AND i.kind = 'email'
                       ORDER BY i.last_seen_at DESC, i.id DESC LIMIT 1));
    SELECT format('%s (suppressed since %s)', x.reason, x.created_at) INTO v_suppressed FROM notify_suppressions x
     WHERE x.store_id = v_row.store_id AND x.channel = notify_channel(v_row.channel) AND x.address = lower(v_to);
    IF v_provider.id IS NOT NULL AND v_row.send_after <= now() AND v_suppressed IS NULL THEN
        UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, sending_at = now(), provider_id = v_provider.id,
                            email_message_id = v_row.email_message_id
         WHERE o.id = v_row.id RETURNING o.attempts INTO v_row.attempts;
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt) VALUES (v_row.id, 'sending', v_provider.id, v_row.attempts);
    END IF;
    RETURN QUERY
    SELECT v_row.id, v_row.kind, notify_channel(v_row.channel), v_row.locale, v_row.attempts, v_row.send_after,
           v_row.created_at + (SELECT retry_deadline FROM notify_settings),
           v_provider.id, v_provider.kind, v_provider.endpoint, v_provider.username, v_provider.secret_ref, v_provider.settings,
           (SELECT s.name FROM stores s WHERE s.id = v_row.store_id), v_from,
           (SELECT c.name FROM customers c WHERE c.id = v_row.customer_id), v_to,
           v_row.subject, v_row.body_text, v_row.email_message_id, v_question.email_message_id,
           CASE WHEN v_question.id IS NULL THEN '{}'::text[]
                ELSE (v_question."references" || v_question.email_message_id)[greatest(1, cardinality(v_question."references") - 8):] END,
           v_suppressed;
END $$;

-- The provider accepted outbox row p_outbox_id (its id for it: p_provider_message_id).
CREATE OR REPLACE FUNCTION notify_sent(p_outbox_id bigint, p_provider_message_id text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'sent', sent_at = now(), provider_message_id = p_provider_message_id, last_error = NULL
     WHERE id = p_outbox_id AND status = 'sending';
    IF FOUND THEN
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
        SELECT id, 'sent', provider_id, attempts, p_provider_message_id FROM outbox WHERE id = p_outbox_id;
    END IF;
END $$;

-- Outbox row p_outbox_id failed for now (p_reason, in the provider's words): it is tried again
-- at p_retry_at.
CREATE OR REPLACE FUNCTION notify_retry(p_outbox_id bigint, p_reason text, p_retry_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox SET status = 'pending', last_error = p_reason, send_after = p_retry_at
     WHERE id = p_outbox_id AND status = 'sending';
    IF FOUND THEN
        INSERT INTO notify_events (outbox_id, event, provider_id, attempt, detail)
        SELECT id, 'retry', provider_id, attempts, format('%s; next attempt at %s', p_reason, p_retry_at)
          FROM outbox WHERE id = p_outbox_id;
    END IF;
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

-- Each outbox row with its story: every event, oldest first, as JSON.
CREATE OR REPLACE VIEW notify_history AS
SELECT o.id AS outbox_id, o.kind, o.channel, o.status, o.attempts, o.last_error, o.created_at, o.sent_at,
       p.name AS provider, o.provider_message_id, o.email_message_id,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.occurred_at, 'event', e.event, 'attempt', e.attempt,
                                                     'provider', ep.name, 'detail', e.detail) ORDER BY e.id), '[]')
          FROM notify_events e LEFT JOIN notify_providers ep ON ep.id = e.provider_id
         WHERE e.outbox_id = o.id) AS events
  FROM outbox o LEFT JOIN notify_providers p ON p.id = o.provider_id;
