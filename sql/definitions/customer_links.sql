-- Customer links (one-click unsubscribe, SMS opt-in) and signed Reply-To addresses. The HTTP
-- pages that show and act on the links come with `switchboard serve`; these functions are what
-- they call. See docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- A new link for outbox row p_row's customer: using it records p_action (unsubscribe or
-- sms_opt_in) for p_purposes on p_channel. Returns its URL, or null when
-- notify_settings.public_base_url is not set. Only the token's SHA-256 is kept.
CREATE OR REPLACE FUNCTION customer_link_create(p_row outbox, p_action text, p_channel text, p_purposes text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_settings notify_settings;
    v_token    text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
    SELECT * INTO v_settings FROM notify_settings;
    IF v_settings.public_base_url IS NULL OR p_row.customer_id IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO customer_links (token_hash, store_id, customer_id, action, channel, purposes, outbox_id, expires_at)
    VALUES (sha256(convert_to(v_token, 'UTF8')), p_row.store_id, p_row.customer_id, p_action, p_channel, p_purposes, p_row.id,
            now() + v_settings.link_lifetime);
    RETURN format('%s/%s/%s', v_settings.public_base_url, CASE p_action WHEN 'unsubscribe' THEN 'u' ELSE 'opt-in' END, v_token);
END $$;

-- What link p_token is, for the page that shows it before the customer confirms: no row when
-- there is no such link. Nothing is recorded.
CREATE OR REPLACE FUNCTION customer_link_show(p_token text)
RETURNS TABLE (action text, channel text, purposes text[], store_name text, locale text, expired boolean, used_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT l.action, l.channel, l.purposes, s.name, notify_locale(l.customer_id, l.store_id), l.expires_at <= now(), l.used_at
      FROM customer_links l JOIN stores s ON s.id = l.store_id
     WHERE l.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
$$;

-- The customer used link p_token (p_source: how — one_click, page): records its consent change
-- and returns what it did. Refused, saying why, when there is no such link, it has expired, or it
-- was used already.
CREATE OR REPLACE FUNCTION customer_link_use(p_token text, p_source text DEFAULT 'page')
RETURNS TABLE (action text, channel text, purposes text[], customer_id bigint, changed integer) LANGUAGE plpgsql AS $$
DECLARE
    v_link customer_links;
BEGIN
    SELECT * INTO v_link FROM customer_links l WHERE l.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such link' USING ERRCODE = 'no_data_found';
    ELSIF v_link.used_at IS NOT NULL THEN
        RAISE EXCEPTION 'this link was used already, at %', v_link.used_at USING ERRCODE = 'invalid_parameter_value';
    ELSIF v_link.expires_at <= now() THEN
        RAISE EXCEPTION 'this link expired at %', v_link.expires_at USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE customer_links SET used_at = now() WHERE id = v_link.id;
    RETURN QUERY SELECT v_link.action, v_link.channel, v_link.purposes, v_link.customer_id,
                        record_consent(v_link.customer_id, v_link.channel, v_link.purposes, v_link.action = 'sms_opt_in',
                                       CASE v_link.action WHEN 'unsubscribe' THEN 'unsubscribe_link' ELSE 'opt_in_link' END,
                                       format('%s (outbox %s)', p_source, coalesce(v_link.outbox_id::text, '-')));
END $$;

-- The signature of conversation p_conversation_id's Reply-To address: ten hex digits of a
-- keyed SHA-256, so a customer's answer to it threads back, and a made-up one does not.
-- (This and the per-message helpers below are PL/pgSQL, not SQL: a SQL function that cannot be
-- inlined is planned again at every call, which costs more than it does.)
CREATE OR REPLACE FUNCTION reply_token_signature(p_conversation_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT left(encode(sha256(s.reply_token_key || convert_to(':' || p_conversation_id, 'UTF8')), 'hex'), 10) FROM notify_settings s);
END $$;

-- The Reply-To address of conversation p_conversation_id from support address p_from
-- (help@shop.example → help+c42.5f0e9a1c3b@shop.example).
CREATE OR REPLACE FUNCTION reply_token_address(p_from text, p_conversation_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_conversation_id IS NULL OR p_from IS NULL OR p_from NOT LIKE '%_@_%' THEN
        RETURN NULL;
    END IF;
    RETURN format('%s+c%s.%s@%s', split_part(p_from, '@', 1), p_conversation_id, reply_token_signature(p_conversation_id),
                  split_part(p_from, '@', 2));
END $$;

-- The conversation an address names by a valid Reply-To token, or null.
CREATE OR REPLACE FUNCTION reply_token_conversation(p_address text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT m[1]::bigint FROM regexp_match(lower(coalesce(p_address, '')), '^[^@+]+\+c([0-9]{1,18})\.([0-9a-f]{10})@') AS m
     WHERE m[2] = reply_token_signature(m[1]::bigint)
$$;
