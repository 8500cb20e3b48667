-- HTTP intake (`switchboard serve`): the rows of many concurrent requests written in one
-- statement. A delivery the table already holds (the same store, channel and provider id, or
-- the same event id) makes no second row: its request is answered with the first row's id.

-- The texts of p_texts with '' as null: how the server sends optional values in a text array.
CREATE OR REPLACE FUNCTION intake_nulls(p_texts text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(nullif(t, '') ORDER BY n) FROM unnest(p_texts) WITH ORDINALITY AS u(t, n)
$$;

-- Serialises the intake of one provider id across concurrent batches, so two deliveries of the
-- same message arriving at once make one row. Keys name the schema, as every advisory key does.
CREATE OR REPLACE FUNCTION intake_lock_keys(p_keys text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('switchboard.intake:' || current_schema(), hashtextextended(k, 0)))
       FROM (SELECT DISTINCT k FROM unnest(p_keys) AS u(k) WHERE k IS NOT NULL ORDER BY k) AS keys;
END $$;

-- Inbound messages, one per array position. Returns, in input order, the id of each one's row
-- and whether that row was there before (a repeated delivery).
CREATE OR REPLACE FUNCTION intake_inbound(p_stores text[], p_channels text[], p_external_ids text[], p_payloads bytea[])
RETURNS TABLE (o_ord bigint, o_id bigint, o_repeated boolean) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM intake_lock_keys(ARRAY(
        SELECT concat_ws(E'\x1f', 'inbound', s, c, e) FROM unnest(p_stores, p_channels, p_external_ids) AS u(s, c, e) WHERE e IS NOT NULL));
    RETURN QUERY
    WITH input AS (
        SELECT u.ord, u.store, u.channel, u.external_id, u.payload,
               (SELECT min(m.id) FROM inbound_messages m
                 WHERE u.external_id IS NOT NULL AND m.channel = u.channel AND m.external_id = u.external_id
                   AND m.store IS NOT DISTINCT FROM u.store) AS stored_id,
               CASE WHEN u.external_id IS NULL THEN u.ord
                    ELSE min(u.ord) OVER (PARTITION BY u.store, u.channel, u.external_id) END AS first_ord
          FROM unnest(p_stores, p_channels, p_external_ids, p_payloads) WITH ORDINALITY AS u(store, channel, external_id, payload, ord)
    ), numbered AS MATERIALIZED (
        SELECT i.*, CASE WHEN i.stored_id IS NULL AND i.first_ord = i.ord
                         THEN nextval(pg_get_serial_sequence('inbound_messages', 'id')) END AS new_id
          FROM input i ORDER BY i.ord  -- ids in the order of the requests
    ), inserted AS (
        INSERT INTO inbound_messages (id, store, channel, external_id, payload) OVERRIDING SYSTEM VALUE
        SELECT n.new_id, n.store, n.channel, n.external_id, n.payload FROM numbered n WHERE n.new_id IS NOT NULL ORDER BY n.ord
        RETURNING inbound_messages.id
    )
    SELECT n.ord, coalesce(n.stored_id, n.new_id, f.new_id), n.new_id IS NULL
      FROM numbered n JOIN numbered f ON f.ord = n.first_ord
     ORDER BY n.ord;
END $$;

-- Order events, one per array position; the same for repeated deliveries (by event id).
CREATE OR REPLACE FUNCTION intake_order_events(p_stores text[], p_numbers text[], p_kinds text[], p_payloads jsonb[],
                                               p_occurred timestamptz[], p_external_ids text[])
RETURNS TABLE (o_ord bigint, o_id bigint, o_repeated boolean) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM intake_lock_keys(ARRAY(
        SELECT concat_ws(E'\x1f', 'order_event', s, e) FROM unnest(p_stores, p_external_ids) AS u(s, e) WHERE e IS NOT NULL));
    RETURN QUERY
    WITH input AS (
        SELECT u.ord, u.store, u.order_number, u.kind, u.payload, u.occurred_at, u.external_id,
               (SELECT min(o.id) FROM order_events o
                 WHERE u.external_id IS NOT NULL AND o.external_id = u.external_id AND o.store IS NOT DISTINCT FROM u.store) AS stored_id,
               CASE WHEN u.external_id IS NULL THEN u.ord
                    ELSE min(u.ord) OVER (PARTITION BY u.store, u.external_id) END AS first_ord
          FROM unnest(p_stores, p_numbers, p_kinds, p_payloads, p_occurred, p_external_ids)
               WITH ORDINALITY AS u(store, order_number, kind, payload, occurred_at, external_id, ord)
    ), numbered AS MATERIALIZED (
        SELECT i.*, CASE WHEN i.stored_id IS NULL AND i.first_ord = i.ord
                         THEN nextval(pg_get_serial_sequence('order_events', 'id')) END AS new_id
          FROM input i ORDER BY i.ord  -- ids in the order of the requests
    ), inserted AS (
        INSERT INTO order_events (id, store, order_number, kind, payload, occurred_at, external_id) OVERRIDING SYSTEM VALUE
        SELECT n.new_id, n.store, n.order_number, n.kind, coalesce(n.payload, '{}'), coalesce(n.occurred_at, now()), n.external_id
          FROM numbered n WHERE n.new_id IS NOT NULL ORDER BY n.ord
        RETURNING order_events.id
    )
    SELECT n.ord, coalesce(n.stored_id, n.new_id, f.new_id), n.new_id IS NULL
      FROM numbered n JOIN numbered f ON f.ord = n.first_ord
     ORDER BY n.ord;
END $$;
