-- Business-hours calendars: validation, and time arithmetic in open hours. See docs/routing.md.
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

CREATE OR REPLACE FUNCTION validate_business_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM routing_require(EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone),
        format('business calendar %L: unknown time zone %L', NEW.name, NEW.time_zone),
        'Use a name from pg_timezone_names, such as Europe/Kyiv or America/New_York.');
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER business_calendars_valid BEFORE INSERT OR UPDATE ON business_calendars
    FOR EACH ROW EXECUTE FUNCTION validate_business_calendar();

CREATE OR REPLACE FUNCTION validate_business_hours() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_other business_hours;
BEGIN
    SELECT * INTO v_other FROM business_hours h
     WHERE h.calendar_id = NEW.calendar_id AND h.weekday = NEW.weekday AND h.opens <> NEW.opens
       AND h.opens < NEW.closes AND NEW.opens < h.closes
     LIMIT 1;
    PERFORM routing_require(NOT FOUND,
        format('business hours %s–%s on weekday %s overlap %s–%s of the same calendar',
               NEW.opens, NEW.closes, NEW.weekday, v_other.opens, v_other.closes));
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER business_hours_valid BEFORE INSERT OR UPDATE ON business_hours
    FOR EACH ROW EXECUTE FUNCTION validate_business_hours();

-- The time zone of business calendar p_calendar_id, or a clear error when there is none.
CREATE OR REPLACE FUNCTION business_calendar_zone(p_calendar_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_zone text;
BEGIN
    SELECT time_zone INTO v_zone FROM business_calendars WHERE id = p_calendar_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no business calendar %', p_calendar_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_zone;
END $$;

-- Whether the calendar is open at p_at; a null calendar is always open.
CREATE OR REPLACE FUNCTION business_open(p_calendar_id bigint, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_local timestamp;
BEGIN
    IF p_calendar_id IS NULL THEN RETURN true; END IF;
    v_local := p_at AT TIME ZONE business_calendar_zone(p_calendar_id);
    RETURN NOT EXISTS (SELECT 1 FROM business_holidays WHERE calendar_id = p_calendar_id AND day = v_local::date)
       AND EXISTS (SELECT 1 FROM business_hours h
                    WHERE h.calendar_id = p_calendar_id AND h.weekday = extract(isodow FROM v_local)
                      AND v_local::time >= h.opens AND v_local::time < h.closes);
END $$;

-- The moment p_duration of open time has passed after p_start; with a null calendar, plain
-- p_start + p_duration. Holidays are skipped; days are walked in the calendar's time zone.
CREATE OR REPLACE FUNCTION business_time_add(p_calendar_id bigint, p_start timestamptz, p_duration interval) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_zone      text;
    v_local     timestamp;
    v_day       date;
    v_left      interval := p_duration;
    v_from      timestamp;
    v_to        timestamp;
    v_hours     record;
BEGIN
    IF p_calendar_id IS NULL OR p_duration IS NULL THEN RETURN p_start + p_duration; END IF;
    v_zone := business_calendar_zone(p_calendar_id);
    v_local := p_start AT TIME ZONE v_zone;
    v_day := v_local::date;
    -- A year of days without an open hour means the calendar has none.
    FOR i IN 0 .. 400 LOOP
        IF NOT EXISTS (SELECT 1 FROM business_holidays WHERE calendar_id = p_calendar_id AND day = v_day) THEN
            FOR v_hours IN SELECT opens, closes FROM business_hours
                            WHERE calendar_id = p_calendar_id AND weekday = extract(isodow FROM v_day) ORDER BY opens LOOP
                v_from := greatest(v_day + v_hours.opens, v_local);
                v_to := v_day + v_hours.closes;
                CONTINUE WHEN v_to <= v_from;
                IF v_to - v_from >= v_left THEN
                    RETURN (v_from + v_left) AT TIME ZONE v_zone;
                END IF;
                v_left := v_left - (v_to - v_from);
            END LOOP;
        END IF;
        v_day := v_day + 1;
    END LOOP;
    RAISE EXCEPTION 'business calendar % has no open hours within a year of %', p_calendar_id, p_start
        USING ERRCODE = 'data_exception', HINT = 'Add rows to business_hours for the calendar.';
END $$;

-- Open time between two moments (for business-hours reports); calendar time without a calendar.
CREATE OR REPLACE FUNCTION business_time_between(p_calendar_id bigint, p_from timestamptz, p_to timestamptz) RETURNS interval
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_zone   text;
    v_start  timestamp;
    v_end    timestamp;
    v_total  interval := interval '0';
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN RETURN NULL; END IF;
    IF p_to <= p_from THEN RETURN interval '0'; END IF;
    IF p_calendar_id IS NULL THEN RETURN p_to - p_from; END IF;
    v_zone := business_calendar_zone(p_calendar_id);
    v_start := p_from AT TIME ZONE v_zone;
    v_end := p_to AT TIME ZONE v_zone;
    SELECT coalesce(sum(least(d.day + h.closes, v_end) - greatest(d.day + h.opens, v_start)), interval '0')
      INTO v_total
      FROM generate_series(v_start::date, v_end::date, interval '1 day') AS d(day)
      JOIN business_hours h ON h.calendar_id = p_calendar_id AND h.weekday = extract(isodow FROM d.day)
     WHERE NOT EXISTS (SELECT 1 FROM business_holidays x WHERE x.calendar_id = p_calendar_id AND x.day = d.day::date)
       AND least(d.day + h.closes, v_end) > greatest(d.day + h.opens, v_start);
    RETURN v_total;
END $$;
