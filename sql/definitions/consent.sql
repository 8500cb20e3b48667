-- Consent: what each customer allows on each channel for each purpose (consent_events, an
-- append-only ledger; consent_defaults where they said nothing), and the SMS and WhatsApp
-- keywords that change it. The notification worker reads it in notify_begin. See docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- The ledger is append-only: a change of mind is a new event. The one update allowed moves a
-- customer's events to the profile they were merged into.
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'customer_id') = (to_jsonb(OLD) - 'customer_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_events is append-only: % of event % refused', lower(TG_OP), OLD.id
        USING ERRCODE = 'prohibited_sql_statement_attempted',
              HINT = 'record the change as a new event (record_consent); history stays as it was';
END $$;

CREATE OR REPLACE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

-- Whether customer p_customer_id allows messages on p_channel for p_purpose: their latest
-- event, or the purpose's default (source 'default') when they have none.
CREATE OR REPLACE FUNCTION consent_of(p_customer_id bigint, p_channel text, p_purpose text)
RETURNS TABLE (granted boolean, source text, detail text, occurred_at timestamptz) LANGUAGE sql STABLE AS $$
    SELECT coalesce(e.granted, d.granted), coalesce(e.source, 'default'), e.detail, e.occurred_at
      FROM consent_defaults d
      LEFT JOIN LATERAL (
          SELECT x.granted, x.source, x.detail, x.occurred_at FROM consent_events x
           WHERE x.customer_id = p_customer_id AND x.channel = p_channel AND x.purpose = d.purpose
           ORDER BY x.id DESC LIMIT 1) e ON true
     WHERE d.purpose = p_purpose
$$;

-- Records that customer p_customer_id allowed (p_granted) or refused messages on p_channel for
-- each of p_purposes, from p_source (keyword, unsubscribe_link, checkout, admin…). Every call is
-- kept; returns how many purposes it changed.
CREATE OR REPLACE FUNCTION record_consent(p_customer_id bigint, p_channel text, p_purposes text[], p_granted boolean,
                                          p_source text, p_detail text DEFAULT NULL, p_inbound_id bigint DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_changed integer;
BEGIN
    SELECT count(*) INTO v_changed FROM unnest(p_purposes) AS p(purpose), consent_of(p_customer_id, p_channel, p.purpose) c
     WHERE c.granted IS DISTINCT FROM p_granted;
    INSERT INTO consent_events (store_id, customer_id, channel, purpose, granted, source, detail, inbound_id)
    SELECT c.store_id, p_customer_id, p_channel, p.purpose, p_granted, p_source, p_detail, p_inbound_id
      FROM customers c, unnest(p_purposes) AS p(purpose) WHERE c.id = p_customer_id;
    RETURN v_changed;
END $$;

-- The consent keyword a whole SMS or social message is (STOP, СТОП, 退订…), ignoring case and the
-- spaces and punctuation around it; no row when it is anything else.
CREATE OR REPLACE FUNCTION consent_keyword_of(m jsonb) RETURNS TABLE (keyword text, action text, language text)
LANGUAGE sql STABLE AS $$
    SELECT k.keyword, k.action, k.language FROM consent_keywords k
     WHERE m->>'channel' IN ('sms', 'social')
       AND k.keyword = regexp_replace(coalesce(m->>'match_text', lower(m->>'text'), ''),
                                      '^[[:space:][:punct:]]+|[[:space:][:punct:]]+$', '', 'g')
$$;

-- Inbound row p_inbound (message m, from customer p_customer_id of store p_store) is consent
-- keyword p_keyword: it becomes consent events on its channel — opting out of every purpose,
-- or back into those a keyword had stopped — not a conversation. When it changed something the
-- customer is told so once, in the keyword's language, where they wrote from.
CREATE OR REPLACE FUNCTION ingest_consent_keyword(p_inbound inbound_messages, p_store stores, p_customer_id bigint, m jsonb,
                                                  p_keyword text, p_action text, p_language text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_channel  text := m->>'channel';
    v_purposes text[];
    v_changed  integer;
BEGIN
    IF p_action = 'opt_out' THEN
        v_purposes := ARRAY['transactional', 'order_updates', 'marketing', 'surveys'];
    ELSE
        SELECT array_agg(d.purpose) INTO v_purposes FROM consent_defaults d, consent_of(p_customer_id, v_channel, d.purpose) c
         WHERE NOT c.granted AND c.source = 'keyword';
    END IF;
    v_changed := record_consent(p_customer_id, v_channel, coalesce(v_purposes, '{}'), p_action = 'opt_in', 'keyword',
                                btrim(m->>'text'), p_inbound.id);
    UPDATE inbound_messages SET status = 'consent', processed_at = clock_timestamp() WHERE id = p_inbound.id;
    INSERT INTO audit_events (kind, customer_id, detail)
    VALUES ('consent_keyword', p_customer_id, jsonb_build_object('inbound_id', p_inbound.id, 'keyword', p_keyword, 'action', p_action,
                                                                  'channel', v_channel, 'changed', v_changed));
    IF v_changed > 0 THEN
        INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, recipient, body_text, idempotency_key)
        SELECT p_store.id, p_customer_id, 'consent_confirmation', 'reply', v_channel, c.language,
               CASE v_channel WHEN 'sms' THEN m->>'phone' ELSE m->>'handle' END, format(c.body_text, p_store.name),
               'consent:' || p_inbound.id
          FROM consent_confirmations c
         WHERE c.action = p_action AND c.language IN (p_language, 'en')
         ORDER BY c.language = p_language DESC LIMIT 1
        ON CONFLICT (idempotency_key) DO NOTHING;
    END IF;
END $$;
