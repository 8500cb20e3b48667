-- Order events into orders.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Applies one order event to orders (creating the order when it is new). `p_email` and
-- `p_phone` are the customer's contacts from the payload, already normalised by the worker.
-- Generic plans, as notify_begin's: its lookups by key (and the notices it writes) cost more to
-- plan afresh for each event's values than to run.
CREATE OR REPLACE FUNCTION apply_order_event(p_event_id bigint, p_email text, p_phone text,
                                  OUT o_status text, OUT o_order_id bigint, OUT o_reason text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_event     order_events;
    v_store     stores;
    v_customer  bigint;
    v_status    text;
    v_total     numeric;
    v_estimate  date;
    v_payload   jsonb;
    v_kinds     constant text[] := ARRAY['created', 'paid', 'processing', 'shipped', 'out_for_delivery', 'delivered',
                                         'delayed', 'cancelled', 'returned', 'refunded', 'updated'];
BEGIN
    SELECT * INTO v_event FROM order_events WHERE id = p_event_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order event % does not exist', p_event_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_event.status <> 'received' THEN
        o_status := v_event.status; o_order_id := v_event.order_id; o_reason := v_event.reject_reason;
        RETURN;
    END IF;
    v_payload := v_event.payload;
    SELECT * INTO v_store FROM stores
     WHERE CASE WHEN v_event.store IS NULL THEN is_default ELSE code = v_event.store END;
    IF NOT FOUND THEN
        o_reason := format('no store has the code %L', v_event.store);
    ELSIF nullif(btrim(v_event.order_number), '') IS NULL THEN
        o_reason := 'the event has no order_number';
    ELSIF v_event.kind IS NULL OR NOT v_event.kind = ANY (v_kinds) THEN
        o_reason := format('unknown event kind %L; known: %s', v_event.kind, array_to_string(v_kinds, ', '));
    ELSIF jsonb_typeof(v_payload) <> 'object' THEN
        o_reason := 'the payload is not a JSON object';
    END IF;
    IF o_reason IS NULL THEN
        BEGIN
            v_total := (v_payload->>'total')::numeric(14, 2);
            v_estimate := (v_payload->>'estimated_delivery')::date;
            IF v_payload ? 'items' AND jsonb_typeof(v_payload->'items') <> 'array' THEN
                o_reason := 'items must be a list';
            END IF;
        EXCEPTION WHEN data_exception THEN
            o_reason := 'the payload has a bad value: ' || SQLERRM;
        END;
    END IF;
    IF o_reason IS NOT NULL THEN
        UPDATE order_events SET status = 'rejected', reject_reason = o_reason, processed_at = clock_timestamp() WHERE id = p_event_id;
        o_status := 'rejected';
        RETURN;
    END IF;

    IF p_email IS NOT NULL OR p_phone IS NOT NULL THEN
        v_customer := resolve_customer(v_store.id, jsonb_build_object(
            'email', p_email, 'phone', p_phone, 'name', v_payload->'customer'->>'name'));
        IF v_payload->'customer'->>'tier' ~ '^[a-z][a-z0-9_]*$' THEN
            UPDATE customers SET tier = v_payload->'customer'->>'tier' WHERE id = v_customer;
        END IF;
    END IF;
    v_status := CASE v_event.kind WHEN 'created' THEN 'placed' WHEN 'updated' THEN NULL ELSE v_event.kind END;

    BEGIN
        INSERT INTO orders AS o (store_id, customer_id, number, status, currency, total, carrier, tracking_number, tracking_url,
                                 estimated_delivery, placed_at, status_at, shipped_at, delivered_at)
        VALUES (v_store.id, v_customer, btrim(v_event.order_number), coalesce(v_status, 'placed'), upper(v_payload->>'currency'),
                v_total, v_payload->>'carrier', v_payload->>'tracking_number', v_payload->>'tracking_url', v_estimate,
                CASE WHEN v_event.kind = 'created' THEN v_event.occurred_at ELSE least(v_event.occurred_at, now()) END,
                v_event.occurred_at,
                CASE WHEN v_status = 'shipped' THEN v_event.occurred_at END,
                CASE WHEN v_status = 'delivered' THEN v_event.occurred_at END)
        ON CONFLICT (store_id, number) DO UPDATE SET
            customer_id        = coalesce(EXCLUDED.customer_id, o.customer_id),
            status             = CASE WHEN v_status IS NOT NULL AND v_event.occurred_at >= o.status_at THEN v_status ELSE o.status END,
            status_at          = CASE WHEN v_status IS NOT NULL AND v_event.occurred_at >= o.status_at THEN v_event.occurred_at ELSE o.status_at END,
            placed_at          = CASE WHEN v_event.kind = 'created' THEN v_event.occurred_at ELSE o.placed_at END,
            currency           = coalesce(EXCLUDED.currency, o.currency),
            total              = coalesce(EXCLUDED.total, o.total),
            carrier            = coalesce(EXCLUDED.carrier, o.carrier),
            tracking_number    = coalesce(EXCLUDED.tracking_number, o.tracking_number),
            tracking_url       = coalesce(EXCLUDED.tracking_url, o.tracking_url),
            estimated_delivery = coalesce(EXCLUDED.estimated_delivery, o.estimated_delivery),
            shipped_at         = coalesce(o.shipped_at, EXCLUDED.shipped_at),
            delivered_at       = coalesce(o.delivered_at, EXCLUDED.delivered_at),
            updated_at         = now()
        RETURNING o.id INTO o_order_id;

        IF jsonb_typeof(v_payload->'items') = 'array' THEN
            DELETE FROM order_items WHERE order_id = o_order_id;
            INSERT INTO order_items (order_id, sku, name, quantity, unit_price)
            SELECT o_order_id, i->>'sku', coalesce(i->>'name', i->>'sku', 'item'), coalesce((i->>'quantity')::integer, 1),
                   (i->>'unit_price')::numeric(14, 2)
              FROM jsonb_array_elements(v_payload->'items') AS i;
        END IF;
    EXCEPTION WHEN data_exception OR check_violation OR not_null_violation THEN
        o_reason := 'the payload has a bad value: ' || SQLERRM;
        UPDATE order_events SET status = 'rejected', reject_reason = o_reason, processed_at = clock_timestamp() WHERE id = p_event_id;
        o_status := 'rejected';
        o_order_id := NULL;
        RETURN;
    END;

    UPDATE order_events SET status = 'applied', order_id = o_order_id, processed_at = clock_timestamp() WHERE id = p_event_id;
    -- The customer hears of it as notification_rules say (sql/definitions/notify_notices.sql).
    PERFORM notify_order_event(v_event, o_order_id);
    INSERT INTO audit_events (kind, actor_kind, customer_id, order_id, detail)
    VALUES ('order_event_applied', 'integration', v_customer, o_order_id,
            jsonb_build_object('event_id', p_event_id, 'kind', v_event.kind));
    o_status := 'applied';
END $$;
