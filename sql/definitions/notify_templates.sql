-- Templates of what the notification worker sends: which one a row gets, the variables it is
-- rendered with (from the rows the outbox row refers to), and the check that refuses one that
-- would not render. The worker renders them with Mustache. See docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- What is wrong with Mustache text p_text, or null when it renders: sections closed in order,
-- no partials or delimiter changes, and only the variables notify_variables gives (inside a
-- section, the fields of a list's items too).
CREATE OR REPLACE FUNCTION notify_template_problem(p_text text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    -- What notify_variables gives (and the objects themselves, for sections).
    v_known  CONSTANT text[] := ARRAY['customer', 'customer.name', 'customer.first_name', 'store', 'store.name', 'store.email',
                                      'order', 'order.number', 'order.status', 'order.total', 'order.currency', 'order.carrier',
                                      'order.tracking_number', 'order.tracking_url', 'order.estimated_delivery', 'order.placed_at',
                                      'order.items', 'conversation', 'conversation.id', 'conversation.subject', 'agent', 'agent.name',
                                      'links', 'links.unsubscribe', 'links.sms_opt_in', 'offer_sms_opt_in'];
    v_fields CONSTANT text[] := ARRAY['name', 'quantity', 'sku'];
    v_open   text[] := '{}';
    v_tag    text[];
    v_name   text;
    v_tags   integer := 0;
BEGIN
    FOR v_tag IN SELECT regexp_matches(coalesce(p_text, ''), '\{\{(\{?)([#^/!>&=]?)([^{}]*)\}\}(\}?)', 'g') LOOP
        v_tags := v_tags + 1;
        v_name := btrim(v_tag[3]);
        IF v_tag[2] = '!' THEN
            CONTINUE;
        ELSIF v_tag[2] = '>' THEN
            RETURN format('partials ({{>%s}}) are not supported', v_name);
        ELSIF v_tag[2] = '=' THEN
            RETURN 'changing the delimiters ({{=…=}}) is not supported';
        ELSIF v_tag[2] = '/' THEN
            IF cardinality(v_open) = 0 THEN
                RETURN format('{{/%s}} closes a section that was never opened', v_name);
            ELSIF v_open[cardinality(v_open)] <> v_name THEN
                RETURN format('{{/%s}} closes {{#%s}}', v_name, v_open[cardinality(v_open)]);
            END IF;
            v_open := v_open[1:cardinality(v_open) - 1];
            CONTINUE;
        END IF;
        IF v_name = '' THEN
            RETURN 'a tag names no variable: {{}}';
        ELSIF v_name <> '.' AND NOT v_name = ANY (v_known) AND NOT (cardinality(v_open) > 0 AND v_name = ANY (v_fields)) THEN
            RETURN format('unknown variable {{%s}}; known: %s (and %s inside {{#order.items}})', v_name,
                          array_to_string(v_known, ', '), array_to_string(v_fields, ', '));
        END IF;
        IF v_tag[2] IN ('#', '^') THEN
            v_open := v_open || v_name;
        END IF;
    END LOOP;
    IF cardinality(v_open) > 0 THEN
        RETURN format('{{#%s}} is never closed', v_open[cardinality(v_open)]);
    ELSIF (length(coalesce(p_text, '')) - length(replace(coalesce(p_text, ''), '{{', ''))) / 2 <> v_tags THEN
        RETURN 'a {{ is never closed by }}';
    END IF;
    RETURN NULL;
END $$;

-- A template that would not render is refused, saying why.
CREATE OR REPLACE FUNCTION validate_notify_template() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_problem text;
BEGIN
    v_problem := coalesce('the subject: ' || notify_template_problem(NEW.subject), 'the body: ' || notify_template_problem(NEW.body));
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'template % (%, %) does not render: %', NEW.kind, coalesce(NEW.channel, 'any channel'), NEW.locale, v_problem
            USING ERRCODE = 'check_violation', HINT = 'docs/notify.md lists the variables a template may use.';
    END IF;
    IF NEW.subject IS NOT NULL AND NEW.channel IS NOT NULL AND NEW.channel <> 'email' THEN
        RAISE EXCEPTION 'template % (%, %): only email has a subject', NEW.kind, NEW.channel, NEW.locale USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER notify_templates_valid BEFORE INSERT OR UPDATE ON notify_templates
    FOR EACH ROW EXECUTE FUNCTION validate_notify_template();

-- The template of kind p_kind for store p_store_id on p_channel in p_locale: the customer's
-- locale, else the store's language, else English; a store's own before the shared one, a
-- channel's own before the one for any channel. No row when there is none at all.
CREATE OR REPLACE FUNCTION notify_template_for(p_store_id bigint, p_kind text, p_channel text, p_locale text)
RETURNS SETOF notify_templates LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT t.* FROM notify_templates t
         WHERE t.kind = p_kind AND (t.store_id IS NULL OR t.store_id = p_store_id)
           AND (t.channel IS NULL OR t.channel = notify_channel(p_channel))
           AND t.locale IN (p_locale, (SELECT s.default_locale FROM stores s WHERE s.id = p_store_id), 'en')
         ORDER BY CASE t.locale WHEN p_locale THEN 0 WHEN 'en' THEN 2 ELSE 1 END, t.store_id IS NULL, t.channel IS NULL
         LIMIT 1;
END $$;

-- The language customer p_customer_id is written to in: theirs, else that of their latest
-- conversation, else the store's.
-- PL/pgSQL: its plans are kept for the session; as SQL it was planned again for every notice.
CREATE OR REPLACE FUNCTION notify_locale(p_customer_id bigint, p_store_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(
        (SELECT c.preferred_locale FROM customers c WHERE c.id = p_customer_id),
        (SELECT v.language FROM conversations v
          WHERE v.customer_id = p_customer_id AND v.language ~ '^[a-z]{2,3}$' ORDER BY v.id DESC LIMIT 1),
        (SELECT s.default_locale FROM stores s WHERE s.id = p_store_id));
END $$;

-- The variables outbox row p_row's template is rendered with: its customer, store, order (with
-- items), conversation and agent, whether to offer SMS news, and the row's own variables on top.
CREATE OR REPLACE FUNCTION notify_variables(p_row outbox) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT jsonb_strip_nulls(jsonb_build_object(
            'customer', (SELECT jsonb_build_object('name', c.name, 'first_name', nullif(split_part(c.name, ' ', 1), ''))
                           FROM customers c WHERE c.id = p_row.customer_id),
            'store', (SELECT jsonb_build_object('name', s.name, 'email', s.support_email) FROM stores s WHERE s.id = p_row.store_id),
            'order', (SELECT jsonb_build_object(
                             'number', o.number, 'status', o.status, 'total', o.total, 'currency', o.currency, 'carrier', o.carrier,
                             'tracking_number', o.tracking_number, 'tracking_url', o.tracking_url,
                             'estimated_delivery', o.estimated_delivery, 'placed_at', o.placed_at,
                             'items', (SELECT jsonb_agg(jsonb_build_object('name', i.name, 'quantity', i.quantity, 'sku', i.sku) ORDER BY i.id)
                                         FROM order_items i WHERE i.order_id = o.id))
                        FROM orders o WHERE o.id = coalesce(p_row.order_id,
                                                            (SELECT v.order_id FROM conversations v WHERE v.id = p_row.conversation_id))),
            'conversation', (SELECT jsonb_build_object('id', v.id, 'subject', v.subject) FROM conversations v WHERE v.id = p_row.conversation_id),
            'agent', (SELECT jsonb_build_object('name', a.name) FROM conversations v JOIN agents a ON a.id = v.agent_id
                       WHERE v.id = p_row.conversation_id),
            -- News by email to a customer with a phone who never said yes to SMS news.
            'offer_sms_opt_in', CASE WHEN notify_channel(p_row.channel) = 'email' AND p_row.purpose = 'order_updates'
                                          AND EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = p_row.customer_id AND i.kind = 'phone')
                                          AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.customer_id = p_row.customer_id
                                                             AND e.channel = 'sms' AND e.purpose = 'order_updates')
                                     THEN true END))
            || coalesce(p_row.variables, '{}'));
END $$;

-- What the worker rendered for outbox rows p_outbox_ids (subject null or '' for none), kept on
-- the rows before they are sent, in one statement for the batch. (PL/pgSQL, so that its plan is
-- kept.)
CREATE OR REPLACE FUNCTION notify_rendered(p_outbox_ids bigint[], p_subjects text[], p_bodies text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outbox o SET subject = nullif(t.subject, ''), body_text = t.body
      FROM unnest(p_outbox_ids, p_subjects, p_bodies) AS t(id, subject, body)
     WHERE o.id = t.id AND o.status IN ('pending', 'sending');
END $$;

-- What the worker rendered for outbox row p_outbox_id. Kept for the previous release's workers,
-- which call it until a rolling update has replaced them.
CREATE OR REPLACE FUNCTION notify_rendered(p_outbox_id bigint, p_subject text, p_body text) RETURNS void LANGUAGE sql AS $$
    SELECT notify_rendered(ARRAY[p_outbox_id], ARRAY[p_subject], ARRAY[p_body])
$$;

-- What a customer would get as template p_kind on p_channel: the order numbered p_order_number
-- of store p_store_code (its customer's language unless p_locale says), for `switchboard notify
-- preview`. Nothing is written.
CREATE OR REPLACE FUNCTION notify_preview(p_kind text, p_channel text, p_locale text, p_order_number text, p_store_code text)
RETURNS TABLE (locale text, template_locale text, subject text, body text, variables jsonb, recipient text, max_sms_segments integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_row      outbox;
    v_order    orders;
    v_template notify_templates;
BEGIN
    SELECT s.id INTO v_row.store_id FROM stores s WHERE CASE WHEN p_store_code IS NULL THEN s.is_default ELSE s.code = p_store_code END;
    IF v_row.store_id IS NULL THEN
        RAISE EXCEPTION 'no store %', coalesce(quote_literal(p_store_code), 'is the default') USING ERRCODE = 'no_data_found';
    END IF;
    IF p_order_number IS NOT NULL THEN
        SELECT * INTO v_order FROM orders o WHERE o.store_id = v_row.store_id AND o.number = p_order_number;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no order % in this store', p_order_number USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    v_row.customer_id := v_order.customer_id;
    v_row.order_id := v_order.id;
    v_row.kind := 'order_notice';
    v_row.purpose := 'order_updates';
    v_row.channel := p_channel;
    v_row.template_kind := p_kind;
    v_row.locale := coalesce(p_locale, notify_locale(v_order.customer_id, v_row.store_id));
    SELECT * INTO v_template FROM notify_template_for(v_row.store_id, p_kind, p_channel, v_row.locale);
    RETURN QUERY SELECT v_row.locale, v_template.locale, v_template.subject, v_template.body, notify_variables(v_row),
                        (SELECT a.p_address FROM notify_address(v_row) a), (SELECT s.max_sms_segments FROM notify_settings s);
END $$;
