-- Time and fatigue for the notification worker: the customer's time zone, the store's quiet
-- hours, frequency caps and the contact budget. notify_begin (notify.sql, applied before: its
-- PL/pgSQL body is checked only when called) asks these before it picks a provider. See
-- docs/notify.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- A customer's time zone must be one PostgreSQL knows.
CREATE OR REPLACE FUNCTION validate_customer_time_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.time_zone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone) THEN
        RAISE EXCEPTION 'customer %: unknown time zone %', NEW.id, NEW.time_zone
            USING ERRCODE = 'check_violation', HINT = 'Use a name from pg_timezone_names, such as Europe/Kyiv or Asia/Shanghai.';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER customers_time_zone_valid BEFORE INSERT OR UPDATE OF time_zone ON customers
    FOR EACH ROW WHEN (NEW.time_zone IS NOT NULL) EXECUTE FUNCTION validate_customer_time_zone();

-- The time zone of customer p_customer_id: their own, else their latest phone's country's (when
-- it has one zone), else store p_store_id's.
-- (This and notify_quiet_until are PL/pgSQL so their plans are kept: as SQL functions they were
-- planned again for every message.)
CREATE OR REPLACE FUNCTION notify_time_zone(p_customer_id bigint, p_store_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(
        (SELECT c.time_zone FROM customers c WHERE c.id = p_customer_id),
        (SELECT z.time_zone FROM customer_identities i JOIN phone_time_zones z ON starts_with(i.value, z.calling_prefix)
          WHERE i.customer_id = p_customer_id AND i.kind = 'phone'
          ORDER BY i.last_seen_at DESC, i.id DESC, length(z.calling_prefix) DESC LIMIT 1),
        (SELECT s.time_zone FROM stores s WHERE s.id = p_store_id));
END $$;

-- When quiet hours p_start–p_end (local times in zone p_zone; the window may span midnight) end,
-- if p_at falls inside them; null when it does not, or there are none.
CREATE OR REPLACE FUNCTION notify_quiet_until(p_zone text, p_start time, p_end time, p_at timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_local timestamp := p_at AT TIME ZONE p_zone;
    v_time  time := v_local::time;
    v_day   date := v_local::date;
BEGIN
    RETURN CASE
        WHEN p_start IS NULL OR p_end IS NULL THEN NULL
        WHEN p_start < p_end THEN
            CASE WHEN v_time >= p_start AND v_time < p_end THEN (v_day + p_end) AT TIME ZONE p_zone END
        WHEN v_time >= p_start THEN ((v_day + 1) + p_end) AT TIME ZONE p_zone
        WHEN v_time < p_end THEN (v_day + p_end) AT TIME ZONE p_zone
        END;
END $$;

-- Until when outbox row p_row waits out its store's quiet hours in the customer's zone, and why;
-- no row when it need not: only proactive purposes (order updates, marketing, surveys) wait, and
-- not when urgent.
CREATE OR REPLACE FUNCTION notify_quiet_hours(p_row outbox, p_at timestamptz DEFAULT now())
RETURNS TABLE (until timestamptz, reason text) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT q.until, format('quiet hours %s–%s in %s, where it is %s: until %s local',
                               to_char(s.quiet_hours_start, 'HH24:MI'), to_char(s.quiet_hours_end, 'HH24:MI'), z.zone,
                               to_char(p_at AT TIME ZONE z.zone, 'HH24:MI'), to_char(q.until AT TIME ZONE z.zone, 'YYYY-MM-DD HH24:MI'))
          FROM stores s
         CROSS JOIN LATERAL (SELECT notify_time_zone(p_row.customer_id, p_row.store_id) AS zone) z
         CROSS JOIN LATERAL (SELECT notify_quiet_until(z.zone, s.quiet_hours_start, s.quiet_hours_end, p_at) AS until) q
         WHERE s.id = p_row.store_id AND p_row.customer_id IS NOT NULL AND NOT p_row.urgent
           AND p_row.purpose IN ('order_updates', 'marketing', 'surveys') AND q.until IS NOT NULL;
END $$;

-- Why a frequency cap refuses outbox row p_row — the first enabled cap of its purpose (and
-- channel) that the customer's sends within its period already fill — or null. The caller holds
-- the customer's budget lock (notify_begin), so two rows cannot both take the last place.
CREATE OR REPLACE FUNCTION notify_cap_refusal(p_row outbox) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT format('frequency cap %L reached: %s of %s %s in the last %s', k.name, n.sent, k.max_messages,
                      array_to_string(k.purposes, ' and ') || CASE WHEN k.channel IS NULL THEN ' messages' ELSE ' messages by ' || k.channel END,
                      k.per)
          FROM notify_caps k
         CROSS JOIN LATERAL (
             SELECT count(*) AS sent FROM outbox o
              WHERE o.customer_id = p_row.customer_id AND o.id <> p_row.id AND o.status IN ('sending', 'sent')
                AND o.purpose = ANY (k.purposes) AND (k.channel IS NULL OR notify_channel(o.channel) = k.channel)
                AND coalesce(o.sent_at, o.sending_at) > now() - k.per) n
         WHERE k.enabled AND p_row.customer_id IS NOT NULL AND p_row.purpose = ANY (k.purposes)
           AND (k.channel IS NULL OR k.channel = notify_channel(p_row.channel)) AND n.sent >= k.max_messages
         ORDER BY k.id LIMIT 1);
END $$;

-- Whether any enabled cap counts outbox row p_row (then its send takes the customer's budget lock).
CREATE OR REPLACE FUNCTION notify_capped(p_row outbox) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT EXISTS (SELECT 1 FROM notify_caps k WHERE k.enabled AND p_row.purpose = ANY (k.purposes)
                                                     AND (k.channel IS NULL OR k.channel = notify_channel(p_row.channel))));
END $$;
