-- One customer profile across channels: identity keys, resolving and merging customers.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Everything `p_from` owned now belongs to `p_into`; `p_from` remains as a pointer.
CREATE OR REPLACE FUNCTION merge_customers(p_from bigint, p_into bigint, p_reason jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_from = p_into THEN RETURN; END IF;
    UPDATE customer_identities SET customer_id = p_into WHERE customer_id = p_from;
    UPDATE conversations SET customer_id = p_into WHERE customer_id = p_from;
    UPDATE orders SET customer_id = p_into WHERE customer_id = p_from;
    UPDATE outbox SET customer_id = p_into WHERE customer_id = p_from;
    -- The ledger's one permitted change: its rows follow the person.
    UPDATE consent_events SET customer_id = p_into WHERE customer_id = p_from;
    UPDATE customers t
       SET name = coalesce(t.name, f.name),
           tier = CASE WHEN f.tier = 'vip' THEN 'vip' ELSE t.tier END,
           preferred_locale = coalesce(t.preferred_locale, f.preferred_locale),
           preferred_channel = coalesce(t.preferred_channel, f.preferred_channel),
           created_at = least(t.created_at, f.created_at)
      FROM customers f
     WHERE t.id = p_into AND f.id = p_from;
    UPDATE customers SET merged_into = p_into WHERE id = p_from OR merged_into = p_from;
    INSERT INTO audit_events (kind, customer_id, detail)
    VALUES ('customer_merged', p_into, jsonb_build_object('merged_customer_id', p_from) || coalesce(p_reason, '{}'));
END $$;

-- Finds the customer behind the identities in `m` (email, phone, platform + handle,
-- chat_session), creating one when none is known and merging when they belong to several.
-- The oldest profile survives a merge. Returns null when `m` names no identity.


-- resolve_customer runs once per new or changed customer (ingest's slow path, order events):
-- planning its few statements anew each call costs less than one stale plan.
CREATE OR REPLACE FUNCTION resolve_customer(p_store_id bigint, m jsonb) RETURNS bigint LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_kinds     text[] := '{}';
    v_platforms text[] := '{}';
    v_values    text[] := '{}';
    v_owners    bigint[];
    v_known     bigint;
    v_customer  bigint;
    v_other     bigint;
BEGIN
    IF nullif(m->>'email', '') IS NOT NULL THEN
        v_kinds := v_kinds || 'email'::text; v_platforms := v_platforms || ''::text; v_values := v_values || (m->>'email');
    END IF;
    IF nullif(m->>'phone', '') IS NOT NULL THEN
        v_kinds := v_kinds || 'phone'::text; v_platforms := v_platforms || ''::text; v_values := v_values || (m->>'phone');
    END IF;
    IF nullif(m->>'platform', '') IS NOT NULL AND nullif(m->>'handle', '') IS NOT NULL THEN
        v_kinds := v_kinds || 'social'::text; v_platforms := v_platforms || (m->>'platform'); v_values := v_values || (m->>'handle');
    END IF;
    IF nullif(m->>'chat_session', '') IS NOT NULL THEN
        v_kinds := v_kinds || 'chat'::text; v_platforms := v_platforms || ''::text; v_values := v_values || (m->>'chat_session');
    END IF;
    IF cardinality(v_kinds) = 0 THEN RETURN NULL; END IF;

    SELECT array_agg(DISTINCT ci.customer_id ORDER BY ci.customer_id), count(*) INTO v_owners, v_known
      FROM customer_identities ci
      JOIN unnest(v_kinds, v_platforms, v_values) AS k(kind, platform, value)
        ON ci.kind = k.kind AND ci.platform = k.platform AND ci.value = k.value
     WHERE ci.store_id = p_store_id;

    -- The common case, a known customer writing again the same way: nothing to write.
    IF v_known = cardinality(v_kinds) AND cardinality(v_owners) = 1 THEN
        UPDATE customers SET name = nullif(m->>'name', '')
         WHERE id = v_owners[1] AND name IS NULL AND nullif(m->>'name', '') IS NOT NULL;
        RETURN v_owners[1];
    END IF;

    IF v_owners IS NULL THEN
        INSERT INTO customers (store_id, name) VALUES (p_store_id, nullif(m->>'name', '')) RETURNING id INTO v_customer;
    ELSE
        v_customer := v_owners[1];
    END IF;

    -- Also settles a race: an identity another transaction inserted meanwhile comes back with
    -- its owner, who is then merged like any other.
    WITH upserted AS (
        INSERT INTO customer_identities (store_id, customer_id, kind, platform, value)
        SELECT p_store_id, v_customer, k.kind, k.platform, k.value
          FROM unnest(v_kinds, v_platforms, v_values) AS k(kind, platform, value)
        ON CONFLICT (store_id, kind, platform, value) DO UPDATE SET last_seen_at = now()
        RETURNING customer_id
    )
    SELECT array_agg(DISTINCT customer_id ORDER BY customer_id) INTO v_owners FROM upserted;

    IF cardinality(v_owners) > 1 THEN
        v_customer := v_owners[1];
        FOREACH v_other IN ARRAY v_owners[2:] LOOP
            PERFORM merge_customers(v_other, v_customer, jsonb_build_object(
                'reason', 'the same ' || array_to_string(v_kinds, ', ') || ' seen on one message'));
        END LOOP;
    END IF;

    UPDATE customers SET name = coalesce(name, nullif(m->>'name', '')), last_seen_at = now() WHERE id = v_customer;
    RETURN v_customer;
END $$;

-- The advisory lock key of one customer. Advisory locks are shared by the whole database, so
-- the key names the schema: customer 1 of one schema never waits for customer 1 of another.
CREATE OR REPLACE FUNCTION customer_lock_key(p_customer_id bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT hashtextextended('switchboard.customer:' || current_schema(), p_customer_id)
$$;

-- Serialises the ingest of one customer's messages across workers, so two messages arriving at
-- once never open two conversations. Transaction-scoped; in memory only.
CREATE OR REPLACE FUNCTION lock_customer(p_customer_id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(customer_lock_key(p_customer_id));
END $$;

-- The identities a parsed message names, as customer_identities keys.
CREATE OR REPLACE FUNCTION ingest_identity_keys(m jsonb) RETURNS TABLE (kind text, platform text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT k.kind, k.platform, k.value
      FROM (VALUES ('email', '', m->>'email'), ('phone', '', m->>'phone'),
                   ('social', coalesce(m->>'platform', ''), m->>'handle'), ('chat', '', m->>'chat_session')) AS k(kind, platform, value)
     WHERE nullif(k.value, '') IS NOT NULL AND (k.kind <> 'social' OR k.platform <> '')
$$;
