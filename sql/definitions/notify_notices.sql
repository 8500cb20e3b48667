-- Proactive order notices: notification_rules turn applied order events — and what the sweep
-- detects: deliveries overdue, first-order anniversaries — into outbox rows, one per (order,
-- rule), on the first of the rule's channels the customer can be reached on and allows; a late
-- event never sends stale news. See docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- How far along its journey an order in status (or after event) p_status is: news of an earlier
-- stage than the order's is stale. Cancelled, returned and refunded end any journey.
CREATE OR REPLACE FUNCTION notify_order_stage(p_status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_status
        WHEN 'created' THEN 1 WHEN 'placed' THEN 1 WHEN 'paid' THEN 1 WHEN 'processing' THEN 2
        WHEN 'shipped' THEN 3 WHEN 'delayed' THEN 3 WHEN 'delivery_overdue' THEN 3 WHEN 'out_for_delivery' THEN 4
        WHEN 'delivered' THEN 5 WHEN 'cancelled' THEN 6 WHEN 'returned' THEN 6 WHEN 'refunded' THEN 6 ELSE 0 END
$$;

-- Why news in outbox row p_row is stale by now — its order has moved past the event it tells of
-- (shipped news once delivered) — or null.
CREATE OR REPLACE FUNCTION notify_stale(p_row outbox) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT format('stale: the order is %s since %s, past this %s news', o.status, o.status_at, p_row.variables->'event'->>'kind')
          FROM orders o
         WHERE o.id = p_row.order_id AND p_row.variables->'event'->>'kind' IS NOT NULL
           AND notify_order_stage(p_row.variables->'event'->>'kind') < 6
           AND notify_order_stage(o.status) > notify_order_stage(p_row.variables->'event'->>'kind'));
END $$;

-- Writes rule p_rule's notice about order p_order, due at p_due, unless one was written before
-- (key notice:<rule>:<order><p_key_suffix>). It goes on the first of the rule's channels where the
-- customer has an address and allows the rule's purpose; when there is none, on the first where
-- they have an address (or the first at all), so the worker records why it cannot go.
CREATE OR REPLACE FUNCTION notify_order_notice(p_rule notification_rules, p_order orders, p_due timestamptz,
                                               p_key_suffix text DEFAULT '') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_channel text;
    v_id      bigint;
BEGIN
    SELECT u.ch INTO v_channel FROM unnest(p_rule.channels) WITH ORDINALITY AS u(ch, n)
     CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM customer_identities i
                                         WHERE i.customer_id = p_order.customer_id AND i.kind = notify_identity_kind(u.ch)) AS reachable) a
     CROSS JOIN LATERAL consent_of(p_order.customer_id, u.ch, p_rule.purpose) c
     ORDER BY a.reachable AND c.granted DESC, a.reachable DESC, u.n
     LIMIT 1;
    INSERT INTO outbox (store_id, customer_id, order_id, kind, purpose, channel, fallback_channels, locale, template_kind, variables,
                        urgent, send_after, idempotency_key)
    VALUES (p_order.store_id, p_order.customer_id, p_order.id, 'order_notice', p_rule.purpose, v_channel,
            array_remove(p_rule.channels, v_channel),
            notify_locale(p_order.customer_id, p_order.store_id), p_rule.template_kind,
            -- What it is news of: notify_hold holds back news the order has outrun by then.
            jsonb_build_object('event', jsonb_build_object('kind', p_rule.event_kind), 'rule', p_rule.name), p_rule.urgent, p_due,
            format('notice:%s:%s%s', p_rule.id, p_order.id, p_key_suffix))
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- The enabled rules for p_event_kind that order p_order meets: its store, its customer's tier,
-- its total, and whether it is the customer's first order.
CREATE OR REPLACE FUNCTION notify_rules_for(p_event_kind text, p_order orders) RETURNS SETOF notification_rules
LANGUAGE sql STABLE AS $$
    SELECT r.* FROM notification_rules r
     WHERE r.enabled AND r.event_kind = p_event_kind AND (r.store_id IS NULL OR r.store_id = p_order.store_id)
       AND (r.tiers IS NULL OR (SELECT c.tier FROM customers c WHERE c.id = p_order.customer_id) = ANY (r.tiers))
       AND (r.min_total IS NULL OR p_order.total >= r.min_total)
       AND (NOT r.first_order_only OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = p_order.customer_id
                                                     AND o.id <> p_order.id AND o.placed_at < p_order.placed_at))
     ORDER BY r.id
$$;

-- Applied order event p_event (of order p_order_id) tells the customer what its rules say —
-- unless the order has moved on since the event happened (shipped news after delivery): then each
-- rule's notice is skipped, and the audit says why.
CREATE OR REPLACE FUNCTION notify_order_event(p_event order_events, p_order_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_order orders;
    v_rule  notification_rules;
BEGIN
    SELECT * INTO v_order FROM orders WHERE id = p_order_id;
    IF v_order.customer_id IS NULL THEN
        RETURN;
    END IF;
    FOR v_rule IN SELECT * FROM notify_rules_for(p_event.kind, v_order) LOOP
        IF p_event.occurred_at < v_order.status_at AND notify_order_stage(v_order.status) > notify_order_stage(p_event.kind) THEN
            INSERT INTO audit_events (kind, customer_id, order_id, detail)
            VALUES ('order_notice_skipped', v_order.customer_id, v_order.id, jsonb_build_object(
                'rule', v_rule.name, 'event_id', p_event.id,
                'reason', format('stale: the order is %s since %s, later than this %s event of %s', v_order.status, v_order.status_at,
                                 p_event.kind, p_event.occurred_at)));
            CONTINUE;
        END IF;
        PERFORM notify_order_notice(v_rule, v_order, greatest(p_event.occurred_at + v_rule.delay, now()));
    END LOOP;
END $$;

-- What the clock alone tells: orders whose estimated delivery passed without delivery (once per
-- order and rule) and first orders placed a year ago today (once per year). Run by the notify
-- worker's schedule; returns how many notices it wrote. It also forgets customer links expired
-- over 30 days ago (until then their page can still say they expired).
CREATE OR REPLACE FUNCTION notify_sweep() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_order   orders;
    v_rule    notification_rules;
    v_written integer := 0;
BEGIN
    FOR v_order IN
        SELECT o.* FROM orders o JOIN stores s ON s.id = o.store_id
         WHERE o.estimated_delivery < (now() AT TIME ZONE s.time_zone)::date AND o.delivered_at IS NULL AND o.customer_id IS NOT NULL
           AND notify_order_stage(o.status) BETWEEN 1 AND 4
           AND EXISTS (SELECT 1 FROM notification_rules r WHERE r.enabled AND r.event_kind = 'delivery_overdue')
    LOOP
        FOR v_rule IN SELECT * FROM notify_rules_for('delivery_overdue', v_order) LOOP
            v_written := v_written + (notify_order_notice(v_rule, v_order, now()) IS NOT NULL)::integer;
        END LOOP;
    END LOOP;
    FOR v_order IN
        SELECT o.* FROM orders o JOIN stores s ON s.id = o.store_id
         WHERE o.customer_id IS NOT NULL AND o.status NOT IN ('cancelled', 'refunded')
           AND (o.placed_at AT TIME ZONE s.time_zone)::date < (now() AT TIME ZONE s.time_zone)::date
           AND to_char(o.placed_at AT TIME ZONE s.time_zone, 'MM-DD') = to_char(now() AT TIME ZONE s.time_zone, 'MM-DD')
           AND NOT EXISTS (SELECT 1 FROM orders f WHERE f.customer_id = o.customer_id AND f.placed_at < o.placed_at)
           AND EXISTS (SELECT 1 FROM notification_rules r WHERE r.enabled AND r.event_kind = 'first_order_anniversary')
    LOOP
        FOR v_rule IN SELECT * FROM notify_rules_for('first_order_anniversary', v_order) LOOP
            v_written := v_written + (notify_order_notice(v_rule, v_order, now(),
                                      ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYY')) IS NOT NULL)::integer;
        END LOOP;
    END LOOP;
    DELETE FROM customer_links WHERE expires_at < now() - interval '30 days';
    RETURN v_written;
END $$;
