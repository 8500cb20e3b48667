-- Routing and assignment: business-hours calendars, SLA policies, agents' skills and capacity,
-- routing rules, the routing decision log, routing one conversation or a batch, the agent
-- desk's SQL API and the SLA check.
-- Admin guide: docs/routing.md.
--
-- Every admin table refuses bad rows with a message that says what is wrong. Changes are read
-- by the next routing decision (rules are evaluated in SQL, never cached) and announced on the
-- channel switchboard_routing, so running routing workers re-offer waiting conversations at once.

CREATE FUNCTION routing_channels() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['email', 'sms', 'chat', 'social', 'webform', 'phone'] $$;

CREATE FUNCTION routing_strategies() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['round_robin', 'least_loaded', 'skills', 'sticky', 'manual'] $$;

-- Raises a check_violation naming the table when `p_ok` is false.
CREATE FUNCTION routing_require(p_ok boolean, p_message text, p_hint text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_ok IS NOT TRUE AND p_hint IS NULL THEN
        RAISE EXCEPTION '%', p_message USING ERRCODE = 'check_violation';
    ELSIF p_ok IS NOT TRUE THEN
        RAISE EXCEPTION '%', p_message USING ERRCODE = 'check_violation', HINT = p_hint;
    END IF;
END $$;

----------------------------------------------------------------------------------------------
-- Business hours
----------------------------------------------------------------------------------------------

CREATE TABLE business_calendars (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (name <> ''),
    time_zone   text        NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION validate_business_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM routing_require(EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.time_zone),
        format('business calendar %L: unknown time zone %L', NEW.name, NEW.time_zone),
        'Use a name from pg_timezone_names, such as Europe/Kyiv or America/New_York.');
    RETURN NEW;
END $$;
CREATE TRIGGER business_calendars_valid BEFORE INSERT OR UPDATE ON business_calendars
    FOR EACH ROW EXECUTE FUNCTION validate_business_calendar();

-- Opening hours per ISO weekday (1 Monday … 7 Sunday), in the calendar's time zone. A day may
-- have several intervals (a lunch break); they must not overlap.
CREATE TABLE business_hours (
    calendar_id  bigint   NOT NULL REFERENCES business_calendars ON DELETE CASCADE,
    weekday      smallint NOT NULL,
    opens        time     NOT NULL,
    closes       time     NOT NULL,
    PRIMARY KEY (calendar_id, weekday, opens),
    CONSTRAINT business_hours_weekday CHECK (weekday BETWEEN 1 AND 7),
    CONSTRAINT business_hours_opens_before_closes CHECK (opens < closes)
);

CREATE FUNCTION validate_business_hours() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER business_hours_valid BEFORE INSERT OR UPDATE ON business_hours
    FOR EACH ROW EXECUTE FUNCTION validate_business_hours();

CREATE TABLE business_holidays (
    calendar_id  bigint NOT NULL REFERENCES business_calendars ON DELETE CASCADE,
    day          date   NOT NULL,
    name         text   NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

-- The time zone of business calendar p_calendar_id, or a clear error when there is none.
CREATE FUNCTION business_calendar_zone(p_calendar_id bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
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
CREATE FUNCTION business_open(p_calendar_id bigint, p_at timestamptz) RETURNS boolean
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
CREATE FUNCTION business_time_add(p_calendar_id bigint, p_start timestamptz, p_duration interval) RETURNS timestamptz
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
CREATE FUNCTION business_time_between(p_calendar_id bigint, p_from timestamptz, p_to timestamptz) RETURNS interval
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

----------------------------------------------------------------------------------------------
-- Teams, agents' skills and capacity
----------------------------------------------------------------------------------------------

ALTER TABLE teams
    ADD COLUMN default_strategy text NOT NULL DEFAULT 'round_robin',
    ADD COLUMN supervisor_email text,
    ADD CONSTRAINT teams_default_strategy_known CHECK (default_strategy = ANY (routing_strategies())),
    ADD CONSTRAINT teams_supervisor_email_format CHECK (supervisor_email ~ '^[^@\s]+@[^@\s]+$');

-- Round robin turns per team and member.
ALTER TABLE team_members
    ADD COLUMN round_robin_turns bigint NOT NULL DEFAULT 0;

-- What an agent knows: languages (ISO 639 codes) and categories, each with a level 1–5.
CREATE TABLE agent_skills (
    agent_id  bigint   NOT NULL REFERENCES agents ON DELETE CASCADE,
    kind      text     NOT NULL,
    value     text     NOT NULL,
    level     smallint NOT NULL DEFAULT 3,
    PRIMARY KEY (agent_id, kind, value),
    CONSTRAINT agent_skills_kind CHECK (kind IN ('language', 'category')),
    CONSTRAINT agent_skills_level CHECK (level BETWEEN 1 AND 5)
);

CREATE FUNCTION validate_agent_skill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'language' THEN
        PERFORM routing_require(NEW.value ~ '^[a-z]{2,3}$',
            format('agent_skills: language %L is not an ISO 639 code such as en, uk or zh', NEW.value));
    ELSIF NEW.kind = 'category' THEN
        PERFORM routing_require(EXISTS (SELECT 1 FROM categories WHERE name = NEW.value),
            format('agent_skills: unknown category %L; categories are %s', NEW.value,
                   (SELECT string_agg(name, ', ' ORDER BY name) FROM categories)));
    END IF;
    RETURN NEW;
END $$;
-- Routing looks skills up by what they are, for a whole team at once.
CREATE INDEX agent_skills_value ON agent_skills (kind, value);
CREATE TRIGGER agent_skills_valid BEFORE INSERT OR UPDATE ON agent_skills
    FOR EACH ROW EXECUTE FUNCTION validate_agent_skill();

-- Each agent's skills as arrays, kept from agent_skills by a trigger: a batch reads its teams'
-- skills from here in one pass instead of aggregating agent_skills on every batch. Derived
-- data; edit agent_skills.
CREATE TABLE agent_skill_sets (
    agent_id         bigint     PRIMARY KEY REFERENCES agents ON DELETE CASCADE,
    languages        text[]     NOT NULL DEFAULT '{}',
    language_levels  smallint[] NOT NULL DEFAULT '{}',
    categories       text[]     NOT NULL DEFAULT '{}',
    category_levels  smallint[] NOT NULL DEFAULT '{}'
);

CREATE FUNCTION agent_skill_sets_refresh(p_agent_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM agent_skill_sets WHERE agent_id = ANY (p_agent_ids);
    INSERT INTO agent_skill_sets (agent_id, languages, language_levels, categories, category_levels)
    SELECT k.agent_id,
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'language'), '{}'),
           coalesce(array_agg(k.value ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}'),
           coalesce(array_agg(k.level ORDER BY k.value) FILTER (WHERE k.kind = 'category'), '{}')
      FROM agent_skills k
     WHERE k.agent_id = ANY (p_agent_ids) AND EXISTS (SELECT 1 FROM agents a WHERE a.id = k.agent_id)
     GROUP BY k.agent_id;
$$;

CREATE FUNCTION agent_skills_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT DISTINCT agent_id FROM old_rows));
    ELSE
        PERFORM agent_skill_sets_refresh(ARRAY(SELECT agent_id FROM new_rows UNION SELECT agent_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER agent_skills_sync_insert AFTER INSERT ON agent_skills
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();
CREATE TRIGGER agent_skills_sync_update AFTER UPDATE ON agent_skills
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();
CREATE TRIGGER agent_skills_sync_delete AFTER DELETE ON agent_skills
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION agent_skills_sync();

-- How many live (open or pending) conversations an agent carries per channel. No row, or 0,
-- means the agent takes none on that channel. `live` and `last_assigned_at` are kept by the
-- system: a trigger on conversations counts assignments, and refuses one beyond `max_open`.
CREATE TABLE agent_capacity (
    agent_id  bigint  NOT NULL REFERENCES agents ON DELETE CASCADE,
    channel   text    NOT NULL,
    max_open  integer NOT NULL,
    live      integer NOT NULL DEFAULT 0,
    -- When the agent last got a conversation on this channel (ties go to the longest ago).
    last_assigned_at timestamptz,
    PRIMARY KEY (agent_id, channel),
    -- A plain list, not routing_channels(): a CHECK calling a function is prepared again by every
    -- statement that writes the table, and the capacity trigger writes it on every assignment
    -- (~40 µs each). Keep it in step with routing_channels().
    CONSTRAINT agent_capacity_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone')),
    CONSTRAINT agent_capacity_max_open_not_negative CHECK (max_open >= 0)
);

-- A new capacity row counts what the agent already carries on the channel.
CREATE FUNCTION agent_capacity_count_live() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.live := (SELECT count(*) FROM conversations
                  WHERE agent_id = NEW.agent_id AND channel = NEW.channel AND status IN ('open', 'pending'));
    RETURN NEW;
END $$;
CREATE TRIGGER agent_capacity_count BEFORE INSERT ON agent_capacity
    FOR EACH ROW EXECUTE FUNCTION agent_capacity_count_live();

----------------------------------------------------------------------------------------------
-- SLA policies
----------------------------------------------------------------------------------------------

CREATE TABLE sla_policies (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text    NOT NULL UNIQUE CHECK (name <> ''),
    -- Targets count open hours of this calendar; null: calendar hours.
    calendar_id             bigint  REFERENCES business_calendars,
    -- On a breach: raise the priority one step, move to this team, mail this address.
    escalate_raise_priority boolean NOT NULL DEFAULT true,
    escalation_team_id      bigint  REFERENCES teams,
    alert_email             text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sla_policies_alert_email_format CHECK (alert_email ~ '^[^@\s]+@[^@\s]+$')
);

-- Targets per priority (1 urgent … 4 low). A missing target is not measured.
CREATE TABLE sla_targets (
    policy_id       bigint   NOT NULL REFERENCES sla_policies ON DELETE CASCADE,
    priority        smallint NOT NULL,
    first_response  interval,
    next_response   interval,
    resolution      interval,
    PRIMARY KEY (policy_id, priority),
    CONSTRAINT sla_targets_priority CHECK (priority BETWEEN 1 AND 4),
    CONSTRAINT sla_targets_first_response_positive CHECK (first_response > interval '0'),
    CONSTRAINT sla_targets_next_response_positive CHECK (next_response > interval '0'),
    CONSTRAINT sla_targets_resolution_positive CHECK (resolution > interval '0')
);

----------------------------------------------------------------------------------------------
-- Routing rules and settings
----------------------------------------------------------------------------------------------

-- The first enabled rule, by position, whose conditions all hold routes the conversation. An
-- empty or null condition matches everything.
CREATE TABLE routing_rules (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text     NOT NULL UNIQUE CHECK (name <> ''),
    position         integer  NOT NULL,
    enabled          boolean  NOT NULL DEFAULT true,
    -- Conditions.
    store_id         bigint   REFERENCES stores,
    channels         text[]   NOT NULL DEFAULT '{}',
    categories       text[]   NOT NULL DEFAULT '{}',
    languages        text[]   NOT NULL DEFAULT '{}',
    tiers            text[]   NOT NULL DEFAULT '{}',
    min_order_value  numeric,
    -- A regular expression matched case-insensitively against the subject and latest message.
    keyword_pattern  text,
    -- any, open (inside the calendar's hours) or closed (outside them).
    hours            text     NOT NULL DEFAULT 'any',
    calendar_id      bigint   REFERENCES business_calendars,
    -- Actions.
    team_id          bigint   NOT NULL REFERENCES teams,
    -- Raises the conversation's priority to this (1 urgent … 4 low); never lowers it.
    priority         smallint,
    strategy         text     NOT NULL DEFAULT 'round_robin',
    sla_policy_id    bigint   REFERENCES sla_policies,
    -- Whether an agent must speak the conversation's language / have its category as a skill.
    require_language boolean  NOT NULL DEFAULT true,
    require_skill    boolean  NOT NULL DEFAULT false,
    note             text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT routing_rules_position_unique UNIQUE (position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT routing_rules_strategy_known CHECK (strategy = ANY (routing_strategies())),
    CONSTRAINT routing_rules_priority_range CHECK (priority BETWEEN 1 AND 4),
    CONSTRAINT routing_rules_hours_known CHECK (hours IN ('any', 'open', 'closed')),
    CONSTRAINT routing_rules_min_order_value CHECK (min_order_value >= 0)
);

CREATE FUNCTION validate_routing_rule() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_bad  text;
    v_rule text := format('routing rule %L', NEW.name);
BEGIN
    PERFORM routing_require(NEW.strategy = ANY (routing_strategies()),
        format('%s: unknown strategy %L; strategies are %s', v_rule, NEW.strategy, array_to_string(routing_strategies(), ', ')));
    PERFORM routing_require(NEW.priority IS NULL OR NEW.priority BETWEEN 1 AND 4,
        format('%s: priority must be 1 (urgent) to 4 (low), or null to keep the conversation''s; got %s', v_rule, NEW.priority));
    SELECT x INTO v_bad FROM unnest(NEW.channels) x WHERE x IS NULL OR NOT x = ANY (routing_channels()) LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: unknown channel %L; channels are %s', v_rule, v_bad,
                                              array_to_string(routing_channels(), ', ')));
    SELECT x INTO v_bad FROM unnest(NEW.categories) x
     WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM categories c WHERE c.name = x) LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: unknown category %L; categories are %s', v_rule, v_bad,
                                              (SELECT string_agg(name, ', ' ORDER BY name) FROM categories)));
    SELECT x INTO v_bad FROM unnest(NEW.languages) x WHERE x IS NULL OR x !~ '^([a-z]{2,3}|unknown)$' LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: language %L is not an ISO 639 code such as en, uk or zh (or unknown)', v_rule, v_bad));
    SELECT x INTO v_bad FROM unnest(NEW.tiers) x WHERE x IS NULL OR x !~ '^[a-z][a-z0-9_]*$' LIMIT 1;
    PERFORM routing_require(NOT FOUND, format('%s: tier %L is not a tier name such as vip or standard', v_rule, v_bad));
    IF NEW.keyword_pattern IS NOT NULL THEN
        PERFORM routing_require(btrim(NEW.keyword_pattern) <> '', format('%s: keyword_pattern is empty; use null to match any text', v_rule));
        BEGIN
            PERFORM '' ~* NEW.keyword_pattern;
        EXCEPTION WHEN invalid_regular_expression THEN
            RAISE EXCEPTION '%: keyword_pattern % is not a valid regular expression: %', v_rule, quote_literal(NEW.keyword_pattern), SQLERRM
                USING ERRCODE = 'invalid_regular_expression',
                      HINT = 'Patterns are PostgreSQL regular expressions, matched case-insensitively; \m and \M mark the start and end of a word.';
        END;
    END IF;
    PERFORM routing_require(NEW.hours IN ('any', 'open', 'closed'),
        format('%s: hours must be any, open or closed; got %L', v_rule, NEW.hours));
    PERFORM routing_require((NEW.hours = 'any') = (NEW.calendar_id IS NULL),
        format('%s: hours %L needs a calendar_id exactly when it is not ''any''', v_rule, NEW.hours));
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER routing_rules_valid BEFORE INSERT OR UPDATE ON routing_rules
    FOR EACH ROW EXECUTE FUNCTION validate_routing_rule();

-- The default rule: what routes a conversation no rule matches, and the help desk's routing
-- settings. One row.
CREATE TABLE routing_settings (
    only_row              boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    default_team_id       bigint  NOT NULL REFERENCES teams,
    default_strategy      text    NOT NULL DEFAULT 'least_loaded',
    default_sla_policy_id bigint  REFERENCES sla_policies,
    require_language      boolean NOT NULL DEFAULT true,
    require_skill         boolean NOT NULL DEFAULT false,
    -- Live conversations on these channels leave an agent who goes offline; the rest stay.
    reassign_on_offline   text[]  NOT NULL DEFAULT '{chat}',
    -- NOTIFY switchboard_desk with {"agent_id", "conversation_id"} on every assignment, for desks
    -- that LISTEN. Off by default: every notifying commit takes a cluster-wide lock, which
    -- caps assignments per second; desks can instead read routing_decisions by id.
    notify_desk           boolean NOT NULL DEFAULT false,
    CONSTRAINT routing_settings_strategy_known CHECK (default_strategy = ANY (routing_strategies())),
    CONSTRAINT routing_settings_reassign_channels CHECK (reassign_on_offline <@ routing_channels())
);

INSERT INTO teams (name, description) VALUES ('General', 'Catches every conversation no routing rule sends elsewhere');
INSERT INTO sla_policies (name) VALUES ('Standard');
INSERT INTO sla_targets (policy_id, priority, first_response, next_response, resolution)
SELECT p.id, t.priority, t.first_response, t.next_response, t.resolution
  FROM sla_policies p,
       (VALUES (1::smallint, interval '30 minutes', interval '1 hour',   interval '8 hours'),
               (2::smallint, interval '2 hours',    interval '4 hours',  interval '24 hours'),
               (3::smallint, interval '8 hours',    interval '12 hours', interval '3 days'),
               (4::smallint, interval '24 hours',   interval '24 hours', interval '7 days'))
           AS t(priority, first_response, next_response, resolution)
 WHERE p.name = 'Standard';
INSERT INTO routing_settings (default_team_id, default_sla_policy_id)
SELECT (SELECT id FROM teams WHERE name = 'General'), (SELECT id FROM sla_policies WHERE name = 'Standard');

----------------------------------------------------------------------------------------------
-- Conversations: routing state, capacity accounting, SLA state
----------------------------------------------------------------------------------------------

ALTER TABLE conversations
    ADD COLUMN routing_rule_id           bigint REFERENCES routing_rules ON DELETE SET NULL,
    ADD COLUMN routing_strategy          text,
    ADD COLUMN sla_policy_id             bigint REFERENCES sla_policies ON DELETE SET NULL,
    -- Set by a transfer or an escalation: routing keeps the team and picks only the agent.
    ADD COLUMN team_pinned               boolean NOT NULL DEFAULT false,
    -- The agent who had it before it was reopened or taken from them.
    ADD COLUMN last_agent_id             bigint REFERENCES agents,
    ADD COLUMN routed_at                 timestamptz,
    ADD COLUMN assigned_at               timestamptz,
    ADD COLUMN first_response_breached_at timestamptz,
    ADD COLUMN next_response_breached_at  timestamptz,
    ADD COLUMN resolution_breached_at     timestamptz,
    ADD COLUMN escalated_at              timestamptz;

CREATE INDEX conversations_first_response_due ON conversations (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL AND first_response_at IS NULL AND first_response_breached_at IS NULL;
CREATE INDEX conversations_next_response_due ON conversations (next_response_due_at)
    WHERE next_response_due_at IS NOT NULL AND next_response_breached_at IS NULL;
CREATE INDEX conversations_resolution_due ON conversations (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND resolved_at IS NULL AND resolution_breached_at IS NULL;

-- Keeps agent_capacity.live equal to the agent's live conversations per channel and refuses an
-- assignment beyond max_open, whoever makes it (routing, a transfer, an admin's UPDATE).
-- A reopened conversation leaves its agent for routing to decide again (last_agent_id keeps
-- them, and routing prefers them while they are eligible): a conversation never lands on an
-- agent who went offline or is full meanwhile.
CREATE FUNCTION conversations_track_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_was_live boolean := false;
    v_is_live  boolean;
    v_taken    integer;
    v_capacity agent_capacity;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        v_was_live := OLD.agent_id IS NOT NULL AND OLD.status IN ('open', 'pending');
        IF OLD.status IN ('resolved', 'closed') AND NEW.status IN ('open', 'pending')
           AND NEW.agent_id IS NOT DISTINCT FROM OLD.agent_id AND NEW.agent_id IS NOT NULL THEN
            NEW.last_agent_id := NEW.agent_id;
            NEW.agent_id := NULL;
            NEW.assigned_at := NULL;
        END IF;
        IF NEW.status IN ('open', 'pending') AND OLD.status IN ('resolved', 'closed') THEN
            NEW.resolution_due_at := NULL;
            NEW.resolution_breached_at := NULL;
        END IF;
    END IF;
    v_is_live := NEW.agent_id IS NOT NULL AND NEW.status IN ('open', 'pending');
    IF v_was_live AND (NOT v_is_live OR OLD.agent_id <> NEW.agent_id OR OLD.channel <> NEW.channel) THEN
        UPDATE agent_capacity SET live = greatest(live - 1, 0) WHERE agent_id = OLD.agent_id AND channel = OLD.channel;
        -- Freed capacity: a routing worker offers the agent what waits.
        PERFORM pg_notify('switchboard_routing', 'agent:' || OLD.agent_id);
    END IF;
    IF v_is_live AND (NOT v_was_live OR OLD.agent_id <> NEW.agent_id OR OLD.channel <> NEW.channel) THEN
        UPDATE agent_capacity SET live = live + 1, last_assigned_at = now()
         WHERE agent_id = NEW.agent_id AND channel = NEW.channel AND live < max_open;
        GET DIAGNOSTICS v_taken = ROW_COUNT;
        IF v_taken = 0 THEN
            SELECT * INTO v_capacity FROM agent_capacity WHERE agent_id = NEW.agent_id AND channel = NEW.channel;
            RAISE EXCEPTION 'agent % is at capacity on % (% of % live conversations)', NEW.agent_id, NEW.channel,
                coalesce(v_capacity.live, 0), coalesce(v_capacity.max_open, 0)
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agent_capacity_max_open',
                      HINT = 'Raise agent_capacity.max_open, or resolve or transfer one of the agent''s conversations first.';
        END IF;
        NEW.assigned_at := coalesce(NEW.assigned_at, now());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER conversations_assignment_insert BEFORE INSERT ON conversations
    FOR EACH ROW WHEN (NEW.agent_id IS NOT NULL) EXECUTE FUNCTION conversations_track_assignment();
-- Only when status, agent or channel change: ingest's updates of counters do not pay for it.
CREATE TRIGGER conversations_assignment_update BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.agent_id IS DISTINCT FROM NEW.agent_id
                       OR OLD.channel IS DISTINCT FROM NEW.channel)
    EXECUTE FUNCTION conversations_track_assignment();

-- A customer's new message after an agent's reply starts the next-response clock.
CREATE FUNCTION conversations_next_response_clock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_target interval;
BEGIN
    IF NEW.first_response_at IS NOT NULL AND NEW.next_response_due_at IS NULL AND NEW.sla_policy_id IS NOT NULL THEN
        SELECT t.next_response INTO v_target FROM sla_targets t
         WHERE t.policy_id = NEW.sla_policy_id AND t.priority = NEW.priority;
        IF v_target IS NOT NULL THEN
            NEW.next_response_due_at := business_time_add(
                (SELECT calendar_id FROM sla_policies WHERE id = NEW.sla_policy_id), NEW.last_customer_message_at, v_target);
            NEW.next_response_breached_at := NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER conversations_next_response BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.last_customer_message_at IS DISTINCT FROM NEW.last_customer_message_at
                       AND NEW.first_response_at IS NOT NULL)
    EXECUTE FUNCTION conversations_next_response_clock();

----------------------------------------------------------------------------------------------
-- The decision log
----------------------------------------------------------------------------------------------

-- Every routing decision, with its reason: which rule, which strategy, every member of the team
-- considered and why each was passed over. Read it through routing_explanations.
CREATE TABLE routing_decisions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id     bigint      NOT NULL REFERENCES conversations,
    decided_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- route (a route job), offer (capacity freed or an agent came online), transfer, escalation
    cause               text        NOT NULL,
    rule_id             bigint,
    rule_name           text        NOT NULL,
    team_id             bigint      NOT NULL,
    strategy            text        NOT NULL,
    priority            smallint    NOT NULL,
    -- assigned or queued
    outcome             text        NOT NULL CHECK (outcome IN ('assigned', 'queued')),
    agent_id            bigint,
    reason              text        NOT NULL,
    -- The team's members in the strategy's order, with why each was passed over (null: eligible)
    -- and their load on the channel then. Arrays, not JSON: cheap to write on every decision;
    -- routing_explanations turns them into JSON for reading.
    candidate_ids       bigint[]    NOT NULL DEFAULT '{}',
    candidate_notes     text[]      NOT NULL DEFAULT '{}',
    candidate_live      integer[]   NOT NULL DEFAULT '{}',
    candidate_max_open  integer[]   NOT NULL DEFAULT '{}'
);
CREATE INDEX routing_decisions_conversation ON routing_decisions (conversation_id, id);
CREATE INDEX routing_decisions_decided ON routing_decisions (decided_at);

-- Every decision with its candidates as JSON: [{agent_id, agent, eligible, note, live, max_open}].
CREATE VIEW routing_explanations AS
SELECT d.id AS decision_id, d.conversation_id, d.decided_at, d.cause, d.rule_name, d.rule_id,
       t.name AS team, d.strategy, d.priority, d.outcome, a.name AS agent, d.agent_id, d.reason,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('agent_id', x.agent_id, 'agent', ca.name, 'eligible', x.note IS NULL,
                                                     'note', x.note, 'live', x.live, 'max_open', x.max_open) ORDER BY x.rank), '[]')
          FROM unnest(d.candidate_ids, d.candidate_notes, d.candidate_live, d.candidate_max_open)
               WITH ORDINALITY AS x(agent_id, note, live, max_open, rank)
          LEFT JOIN agents ca ON ca.id = x.agent_id) AS candidates
  FROM routing_decisions d
  JOIN teams t ON t.id = d.team_id
  LEFT JOIN agents a ON a.id = d.agent_id;

----------------------------------------------------------------------------------------------
-- Routing
----------------------------------------------------------------------------------------------

-- What routing works from: the conversation, with the rule's or the default's settings.
CREATE TYPE routing_plan AS (
    rule_id          bigint,
    rule_name        text,
    team_id          bigint,
    priority         smallint,
    strategy         text,
    sla_policy_id    bigint,
    require_language boolean,
    require_skill    boolean
);

-- The first enabled rule that matches conversation p_conv, or the default; p_enable and
-- p_disable override rules' enabled flags, for dry runs.
CREATE FUNCTION routing_match(p_conv conversations, p_enable bigint[] DEFAULT '{}', p_disable bigint[] DEFAULT '{}')
RETURNS routing_plan LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_rule     routing_rules;
    v_settings routing_settings;
    v_plan     routing_plan;
BEGIN
    -- The customer's tier, the order's total and the latest message's text are read once each,
    -- and only when a rule needs them.
    SELECT r.* INTO v_rule FROM routing_rules r
     WHERE ((r.enabled AND NOT r.id = ANY (p_disable)) OR r.id = ANY (p_enable))
       AND (r.store_id IS NULL OR r.store_id = p_conv.store_id)
       AND (cardinality(r.channels) = 0 OR p_conv.channel = ANY (r.channels))
       AND (cardinality(r.categories) = 0 OR p_conv.category = ANY (r.categories))
       AND (cardinality(r.languages) = 0 OR p_conv.language = ANY (r.languages))
       AND (cardinality(r.tiers) = 0 OR (SELECT tier FROM customers WHERE id = p_conv.customer_id) = ANY (r.tiers))
       AND (r.min_order_value IS NULL OR (SELECT total FROM orders WHERE id = p_conv.order_id) >= r.min_order_value)
       AND (r.keyword_pattern IS NULL
            OR coalesce((SELECT coalesce(p_conv.subject || E'\n', '') || m.body_text
                           FROM messages m WHERE m.conversation_id = p_conv.id AND m.direction = 'inbound'
                          ORDER BY m.id DESC LIMIT 1), p_conv.subject, '') ~* r.keyword_pattern)
       AND (r.hours = 'any' OR business_open(r.calendar_id, now()) = (r.hours = 'open'))
     ORDER BY r.position
     LIMIT 1;
    IF FOUND THEN
        v_plan := ROW(v_rule.id, v_rule.name, v_rule.team_id,
                      least(p_conv.priority, coalesce(v_rule.priority, p_conv.priority)),
                      v_rule.strategy, v_rule.sla_policy_id, v_rule.require_language, v_rule.require_skill);
    ELSE
        SELECT * INTO v_settings FROM routing_settings;
        v_plan := ROW(NULL, 'default', v_settings.default_team_id, p_conv.priority, v_settings.default_strategy,
                      v_settings.default_sla_policy_id, v_settings.require_language, v_settings.require_skill);
    END IF;
    RETURN v_plan;
END $$;

-- The plan a routed (or transferred) conversation already carries: its team, rule, strategy and
-- SLA policy, with the rule's or the default's eligibility settings. Offers from the team queue
-- and routing within a pinned team work from it.
CREATE FUNCTION routing_plan_of(p_conv conversations) RETURNS routing_plan LANGUAGE sql STABLE AS $$
    SELECT ROW(p_conv.routing_rule_id, coalesce(r.name, CASE WHEN p_conv.team_pinned THEN 'transfer' ELSE 'default' END),
               p_conv.team_id, p_conv.priority, coalesce(p_conv.routing_strategy, t.default_strategy), p_conv.sla_policy_id,
               coalesce(r.require_language, s.require_language), coalesce(r.require_skill, s.require_skill))::routing_plan
      FROM teams t CROSS JOIN routing_settings s LEFT JOIN routing_rules r ON r.id = p_conv.routing_rule_id
     WHERE t.id = p_conv.team_id
$$;

-- Every member of team p_team_id as a candidate for a conversation on p_channel in p_language
-- and p_category: eligible, or the reason they are not.
CREATE FUNCTION routing_candidates(p_team_id bigint, p_channel text, p_language text, p_category text,
                                   p_require_language boolean, p_require_skill boolean)
RETURNS TABLE (agent_id bigint, agent text, eligible boolean, note text, live integer, max_open integer,
               language_level smallint, skill_level smallint, round_robin_turns bigint, last_assigned_at timestamptz)
LANGUAGE sql STABLE AS $$
    -- Per member, lookups by key (a team is tens of agents; the skill and capacity tables hold
    -- every agent's rows).
    SELECT a.id, a.name, r.note IS NULL, r.note, coalesce((x.capacity).live, 0), coalesce((x.capacity).max_open, 0),
           coalesce(x.language_level, 0::smallint), coalesce(x.skill_level, 0::smallint), tm.round_robin_turns,
           (x.capacity).last_assigned_at
      FROM team_members tm
      JOIN agents a ON a.id = tm.agent_id
      CROSS JOIN LATERAL (SELECT
           (SELECT c FROM agent_capacity c WHERE c.agent_id = a.id AND c.channel = p_channel) AS capacity,
           (SELECT s.level FROM agent_skills s WHERE s.agent_id = a.id AND s.kind = 'language' AND s.value = p_language) AS language_level,
           (SELECT s.level FROM agent_skills s WHERE s.agent_id = a.id AND s.kind = 'category' AND s.value = p_category) AS skill_level
           OFFSET 0) x
      CROSS JOIN LATERAL (SELECT CASE
           WHEN a.status <> 'online' THEN a.status
           WHEN coalesce((x.capacity).max_open, 0) = 0 THEN 'takes no ' || p_channel || ' conversations'
           WHEN (x.capacity).live >= (x.capacity).max_open
               THEN format('at capacity on %s (%s of %s)', p_channel, (x.capacity).live, (x.capacity).max_open)
           WHEN p_require_language AND p_language <> 'unknown' AND x.language_level IS NULL THEN 'does not speak ' || p_language
           WHEN p_require_skill AND p_category IS NOT NULL AND x.skill_level IS NULL THEN 'no skill in ' || p_category
           END AS note) r
     WHERE tm.team_id = p_team_id
$$;

-- The candidates' arrays of a decision.
CREATE TYPE routing_candidate_list AS (
    ids       bigint[],
    notes     text[],
    live      integer[],
    max_open  integer[]
);

-- Counts a round robin turn for an agent given a conversation by routing (not by a transfer).
CREATE FUNCTION routing_count_turn(p_plan routing_plan, p_agent_id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_agent_id IS NOT NULL AND p_plan.strategy = 'round_robin' THEN
        UPDATE team_members SET round_robin_turns = round_robin_turns + 1
         WHERE team_id = p_plan.team_id AND agent_id = p_agent_id;
    END IF;
END $$;

-- Logs decisions (every decision goes through here, routing_record included) and, for
-- assignments when asked to, tells the agents' desks. Returns the logged rows; the ids and
-- decided_at of p_decisions are ignored.
CREATE FUNCTION routing_log(p_decisions routing_decisions[]) RETURNS SETOF routing_decisions LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT notify_desk FROM routing_settings) THEN
        PERFORM pg_notify('switchboard_desk', json_build_object('agent_id', d.agent_id, 'conversation_id', d.conversation_id)::text)
           FROM unnest(p_decisions) d WHERE d.agent_id IS NOT NULL;
    END IF;
    RETURN QUERY
    INSERT INTO routing_decisions (conversation_id, cause, rule_id, rule_name, team_id, strategy, priority, outcome,
                                   agent_id, reason, candidate_ids, candidate_notes, candidate_live, candidate_max_open)
    SELECT d.conversation_id, d.cause, d.rule_id, d.rule_name, d.team_id, d.strategy, d.priority, d.outcome,
           d.agent_id, d.reason, d.candidate_ids, d.candidate_notes, d.candidate_live, d.candidate_max_open
      FROM unnest(p_decisions) d
    RETURNING *;
END $$;

-- One decision as a routing_decisions row (not yet logged).
CREATE FUNCTION routing_decision(p_conversation_id bigint, p_plan routing_plan, p_agent_id bigint, p_cause text,
                                 p_reason text, p_candidates routing_candidate_list) RETURNS routing_decisions
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(NULL, p_conversation_id, NULL, p_cause, p_plan.rule_id, p_plan.rule_name, p_plan.team_id, p_plan.strategy,
               p_plan.priority, CASE WHEN p_agent_id IS NULL THEN 'queued' ELSE 'assigned' END, p_agent_id, p_reason,
               coalesce(p_candidates.ids, '{}'), coalesce(p_candidates.notes, '{}'),
               coalesce(p_candidates.live, '{}'), coalesce(p_candidates.max_open, '{}'))::routing_decisions
$$;

-- Logs one decision, through routing_log.
CREATE FUNCTION routing_record(p_conversation_id bigint, p_plan routing_plan, p_agent_id bigint, p_cause text,
                               p_reason text, p_candidates routing_candidate_list) RETURNS routing_decisions
LANGUAGE plpgsql AS $$
DECLARE
    v_decision routing_decisions;
BEGIN
    SELECT * INTO v_decision
      FROM routing_log(ARRAY[routing_decision(p_conversation_id, p_plan, p_agent_id, p_cause, p_reason, p_candidates)]);
    RETURN v_decision;
END $$;

-- The plan conversation p_conv is routed by: the one it carries when its team is pinned (a
-- transfer), else the first matching rule's; the SLA policy it had stays when the plan names none.
CREATE FUNCTION routing_plan_for(p_conv conversations) RETURNS routing_plan LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_plan routing_plan;
BEGIN
    IF p_conv.team_pinned AND p_conv.team_id IS NOT NULL THEN
        v_plan := routing_plan_of(p_conv);
    ELSE
        v_plan := routing_match(p_conv);
    END IF;
    v_plan.sla_policy_id := coalesce(v_plan.sla_policy_id, p_conv.sla_policy_id);
    RETURN v_plan;
END $$;

-- The agent routing tries first for p_conv: the one it had before (reopened, or taken from an
-- agent who went offline); for sticky, else the customer's latest agent on another conversation.
CREATE FUNCTION routing_previous_agent(p_conv conversations, p_strategy text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_conv.last_agent_id IS NOT NULL OR p_strategy <> 'sticky' THEN
        RETURN p_conv.last_agent_id;
    END IF;
    RETURN (SELECT coalesce(c.agent_id, c.last_agent_id) FROM conversations c
             WHERE c.customer_id = p_conv.customer_id AND c.id <> p_conv.id AND coalesce(c.agent_id, c.last_agent_id) IS NOT NULL
             ORDER BY c.assigned_at DESC NULLS LAST, c.id DESC LIMIT 1);
END $$;

-- Routes one conversation: the matching rule sets team, priority and SLA due times; the rule's
-- strategy picks an eligible agent with capacity, or the conversation waits in the team queue.
-- Conversations that are not open and unassigned are left alone (returns null): a route job
-- may arrive after an agent already took it.
CREATE FUNCTION route_conversation(p_conversation_id bigint, p_cause text DEFAULT 'route') RETURNS routing_decisions
LANGUAGE plpgsql
-- Custom plans would be planned again on every call (the candidates query alone plans in ~2 ms)
-- for no better plan: its lookups are all by key.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_conv       conversations;
    v_plan       routing_plan;
    v_calendar   bigint;
    v_first_response interval;
    v_resolution interval;
    v_previous   bigint;
    v_list       routing_candidate_list;
    v_order      bigint[];
    v_agent      bigint;
    v_candidate  bigint;
    v_reason     text;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conversation %', p_conversation_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_conv.status <> 'open' OR v_conv.agent_id IS NOT NULL THEN
        RETURN NULL;
    END IF;

    v_plan := routing_plan_for(v_conv);
    v_previous := routing_previous_agent(v_conv, v_plan.strategy);

    IF v_plan.strategy = 'round_robin' THEN
        -- Turns are read and taken one assignment at a time per team, so they stay even.
        PERFORM 1 FROM teams WHERE id = v_plan.team_id FOR NO KEY UPDATE;
    END IF;

    -- One sort; the aggregates keep the subquery's order.
    SELECT array_agg(k.agent_id), array_agg(k.note), array_agg(k.live), array_agg(k.max_open),
           array_agg(k.agent_id) FILTER (WHERE k.eligible)
      INTO v_list.ids, v_list.notes, v_list.live, v_list.max_open, v_order
      FROM (SELECT c.agent_id, c.note, c.live, c.max_open, c.eligible
              FROM routing_candidates(v_plan.team_id, v_conv.channel, v_conv.language, v_conv.category,
                                      v_plan.require_language, v_plan.require_skill) c
             ORDER BY NOT c.eligible,
                      c.agent_id IS DISTINCT FROM v_previous,
                      CASE v_plan.strategy WHEN 'round_robin' THEN c.round_robin_turns END,
                      CASE v_plan.strategy WHEN 'skills' THEN -(c.language_level + c.skill_level) END,
                      c.live::float8 / nullif(c.max_open, 0),
                      c.live,
                      c.last_assigned_at NULLS FIRST,
                      c.agent_id) k;

    IF v_plan.strategy = 'manual' THEN
        v_reason := 'manual strategy: waits in the team queue for an agent to take it';
    ELSIF v_order IS NULL THEN
        v_reason := 'no eligible agent: waits in the team queue';
    ELSE
        -- The ranking read capacity without locks: take the first whose capacity row, locked
        -- now, still has room. Least loaded and skills first skip rows another routing
        -- transaction holds (it is giving that agent a conversation this very moment: the next
        -- in rank is as good); round robin (serialised per team already) and the previous
        -- agent are waited for, so turns stay even and sticky stays sticky.
        v_agent := NULL;
        IF v_plan.strategy IN ('least_loaded', 'skills') THEN
            FOREACH v_candidate IN ARRAY v_order LOOP
                IF v_candidate = v_previous THEN
                    PERFORM 1 FROM agent_capacity
                      WHERE agent_id = v_candidate AND channel = v_conv.channel AND live < max_open FOR UPDATE;
                ELSE
                    PERFORM 1 FROM agent_capacity
                      WHERE agent_id = v_candidate AND channel = v_conv.channel AND live < max_open FOR UPDATE SKIP LOCKED;
                END IF;
                IF FOUND THEN v_agent := v_candidate; EXIT; END IF;
            END LOOP;
        END IF;
        IF v_agent IS NULL THEN
            FOREACH v_candidate IN ARRAY v_order LOOP
                PERFORM 1 FROM agent_capacity
                  WHERE agent_id = v_candidate AND channel = v_conv.channel AND live < max_open FOR UPDATE;
                IF FOUND THEN v_agent := v_candidate; EXIT; END IF;
                v_list.notes[array_position(v_list.ids, v_candidate)] := 'filled up meanwhile';
            END LOOP;
        END IF;
        v_reason := CASE
            WHEN v_agent IS NULL THEN 'every eligible agent filled up meanwhile: waits in the team queue'
            WHEN v_agent = v_previous AND v_previous = v_conv.last_agent_id THEN 'back to the agent it had before'
            WHEN v_agent = v_previous THEN 'sticky: the customer''s previous agent'
            WHEN v_previous IS NOT NULL THEN format('%s; the previous agent is not eligible', v_plan.strategy)
            WHEN v_plan.strategy = 'round_robin' THEN 'round robin: fewest turns in the team'
            WHEN v_plan.strategy = 'skills' THEN 'skills: highest language and category level'
            ELSE 'least loaded: lowest share of capacity in use' END;
    END IF;

    -- One update (a second one in the same transaction would re-check every foreign key). SLA
    -- clocks start when the conversation was opened (or reopened), in the policy's hours.
    SELECT p.calendar_id, t.first_response, t.resolution INTO v_calendar, v_first_response, v_resolution
      FROM sla_policies p LEFT JOIN sla_targets t ON t.policy_id = p.id AND t.priority = v_plan.priority
     WHERE p.id = v_plan.sla_policy_id;
    UPDATE conversations
       SET team_id = v_plan.team_id, priority = v_plan.priority, routing_rule_id = v_plan.rule_id,
           routing_strategy = v_plan.strategy, sla_policy_id = v_plan.sla_policy_id, routed_at = now(),
           first_response_due_at = CASE WHEN first_response_at IS NULL
               THEN coalesce(first_response_due_at, business_time_add(v_calendar, created_at, v_first_response))
               ELSE first_response_due_at END,
           resolution_due_at = coalesce(resolution_due_at,
               business_time_add(v_calendar, coalesce(reopened_at, created_at), v_resolution)),
           agent_id = v_agent, assigned_at = CASE WHEN v_agent IS NULL THEN NULL ELSE now() END,
           updated_at = now()
     WHERE id = v_conv.id;
    PERFORM routing_count_turn(v_plan, v_agent);
    RETURN routing_record(v_conv.id, v_plan, v_agent, p_cause, v_reason, v_list);
END $$;

-- A team member as a batch sees them. The batch's capacity arrays are a grid of its agents ×
-- its channels: the agent's capacity on the batch's k-th channel is at slot_base + k.
CREATE TYPE routing_member AS (
    team_id          bigint,
    agent_id         bigint,
    agent            text,
    status           text,
    turns            bigint,
    languages        text[],
    language_levels  smallint[],
    categories       text[],
    category_levels  smallint[],
    slot_base        integer
);

-- Routes the conversations p_ids as route_conversation would route each, in one transaction:
-- team by team, in each the most urgent first, then the oldest. A row per distinct id:
--   assigned / queued  decided, with the logged decision;
--   skipped            not open and unassigned (an agent took it meanwhile, say): nothing to do;
--   missing            no such conversation (erased);
--   deferred           another transaction holds the conversation, its round robin team, or
--                      the agent this decision must wait for (the previous agent, the round
--                      robin's next): route it again later, or alone with route_conversation,
--                      which waits.
-- Conversations, round robin teams and capacity rows are locked without waiting (SKIP LOCKED),
-- so batches running side by side do not queue behind one another or deadlock.
CREATE FUNCTION route_conversations(p_ids bigint[], p_cause text DEFAULT 'route')
RETURNS TABLE (conversation_id bigint, outcome text, decision_id bigint, team_id bigint, agent_id bigint,
               rule_name text, strategy text, reason text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_convs       conversations[];
    v_plans       routing_plan[];
    v_previous    bigint[];
    v_order       integer[];
    v_need_team   bigint[];
    v_rr_teams    bigint[];
    -- The batch's assignments so far, for sticky.
    v_assigned_customer     bigint[];
    v_assigned_conversation bigint[];
    v_assigned_agent        bigint[];
    v_need_channel text[];
    v_team        bigint;
    v_team_members routing_member[];
    v_channels    text[];
    v_team_ids    bigint[];
    -- Capacity of every (agent, channel) of the batch's teams and channels; live counts this
    -- batch's own assignments; locked: this transaction holds the row.
    v_cap_live    integer[];
    v_cap_max     integer[];
    v_cap_last    timestamptz[];
    v_cap_locked  boolean[];
    v_members     routing_member[];
    -- The members of team v_slice_team[k] are v_members[v_slice_lo[k] : v_slice_hi[k]].
    v_slice_team  bigint[];
    v_slice_lo    integer[];
    v_slice_hi    integer[];
    -- Per conversation (same index as v_convs).
    v_state       text[];
    v_agents      bigint[];
    v_reasons     text[];
    v_lists       routing_candidate_list[];
    v_conv        conversations;
    v_plan        routing_plan;
    v_list        routing_candidate_list;
    v_eligible    integer[];
    v_i           integer;
    v_k           integer;
    v_lo          integer;
    v_hi          integer;
    v_channel_at  integer;
    v_idx         integer;
    v_slot        integer;
    v_member      routing_member;
    v_agent       bigint;
    v_live        integer;
    v_max         integer;
    v_wait        boolean;
    v_busy        boolean;
BEGIN
    -- Conversations another transaction holds are deferred, not waited for.
    v_convs := ARRAY(SELECT x FROM conversations x WHERE x.id = ANY (p_ids) ORDER BY x.id FOR UPDATE SKIP LOCKED);

    RETURN QUERY
    SELECT x.id, CASE WHEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = x.id) THEN 'deferred' ELSE 'missing' END,
           NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM (SELECT DISTINCT u.id FROM unnest(p_ids) u(id)) x
     WHERE NOT EXISTS (SELECT 1 FROM unnest(v_convs) c WHERE c.id = x.id);
    RETURN QUERY
    SELECT c.id, 'skipped', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM unnest(v_convs) c
     WHERE c.status <> 'open' OR c.agent_id IS NOT NULL;
    v_convs := ARRAY(SELECT c FROM unnest(v_convs) c WHERE c.status = 'open' AND c.agent_id IS NULL ORDER BY c.id);
    IF cardinality(v_convs) = 0 THEN
        RETURN;
    END IF;

    -- Plans, exactly as route_conversation makes them.
    FOR v_i IN 1 .. cardinality(v_convs) LOOP
        v_plans[v_i] := routing_plan_for(v_convs[v_i]);
        v_previous[v_i] := routing_previous_agent(v_convs[v_i], (v_plans[v_i]).strategy);
    END LOOP;

    -- Team by team (teams share few agents), the most urgent first, then the oldest.
    SELECT array_agg(i ORDER BY (v_plans[i]).team_id, (v_plans[i]).priority, (v_convs[i]).id),
           array_agg((v_plans[i]).team_id), array_agg((v_convs[i]).channel)
      INTO v_order, v_need_team, v_need_channel
      FROM generate_subscripts(v_convs, 1) i;
    SELECT array_agg(DISTINCT x) INTO v_channels FROM unnest(v_need_channel) x;
    SELECT array_agg(DISTINCT x) INTO v_team_ids FROM unnest(v_need_team) x;

    -- Round robin turns are read and taken one team at a time, as in route_conversation; a
    -- team another transaction holds defers its round robin conversations instead of waiting.
    v_rr_teams := ARRAY(SELECT t.id FROM teams t
                         WHERE t.id IN (SELECT (p).team_id FROM unnest(v_plans) p WHERE (p).strategy = 'round_robin')
                         ORDER BY t.id FOR NO KEY UPDATE SKIP LOCKED);

    -- One read of every member of the batch's teams: status, turns, skills, and capacity on the
    -- channels their team's conversations came by, in a grid of agents × the batch's channels.
    WITH m AS (SELECT tm.team_id, tm.agent_id, tm.round_robin_turns FROM team_members tm WHERE tm.team_id = ANY (v_team_ids)),
         a AS (SELECT d.agent_id, (row_number() OVER (ORDER BY d.agent_id))::integer AS ax
                 FROM (SELECT DISTINCT m.agent_id FROM m) d),
         needs AS (SELECT DISTINCT m.agent_id, n.channel
                     FROM unnest(v_need_team, v_need_channel) AS n(team_id, channel) JOIN m ON m.team_id = n.team_id),
         grid AS (SELECT a.ax, ch.n, c.live, c.max_open, c.last_assigned_at
                    FROM a CROSS JOIN unnest(v_channels) WITH ORDINALITY AS ch(name, n)
                    LEFT JOIN (needs JOIN agent_capacity c ON c.agent_id = needs.agent_id AND c.channel = needs.channel)
                           ON needs.agent_id = a.agent_id AND needs.channel = ch.name),
         cap AS (SELECT array_agg(grid.live ORDER BY grid.ax, grid.n) AS live,
                        array_agg(grid.max_open ORDER BY grid.ax, grid.n) AS max_open,
                        array_agg(grid.last_assigned_at ORDER BY grid.ax, grid.n) AS last_assigned_at
                   FROM grid)
    SELECT (SELECT cap.live FROM cap), (SELECT cap.max_open FROM cap), (SELECT cap.last_assigned_at FROM cap),
           (SELECT array_agg(ROW(m.team_id, ag.id, ag.name, ag.status, m.round_robin_turns, s.languages, s.language_levels,
                                 s.categories, s.category_levels, (a.ax - 1) * cardinality(v_channels))::routing_member
                             ORDER BY m.team_id, ag.id)
              FROM m JOIN a ON a.agent_id = m.agent_id JOIN agents ag ON ag.id = m.agent_id
              LEFT JOIN agent_skill_sets s ON s.agent_id = m.agent_id)
      INTO v_cap_live, v_cap_max, v_cap_last, v_members;
    v_cap_locked := array_fill(false, ARRAY[coalesce(cardinality(v_cap_live), 0)]);
    SELECT array_agg(x.team_id ORDER BY x.team_id), array_agg(x.lo ORDER BY x.team_id), array_agg(x.hi ORDER BY x.team_id)
      INTO v_slice_team, v_slice_lo, v_slice_hi
      FROM (SELECT m.team_id, min(m.n)::integer AS lo, max(m.n)::integer AS hi
              FROM unnest(v_members) WITH ORDINALITY AS m(team_id, agent_id, agent, status, turns, languages, language_levels,
                                                          categories, category_levels, slot_base, n)
             GROUP BY m.team_id) x;

    FOREACH v_i IN ARRAY v_order LOOP
        v_conv := v_convs[v_i];
        v_plan := v_plans[v_i];
        v_channel_at := array_position(v_channels, v_conv.channel);
        IF v_team IS DISTINCT FROM v_plan.team_id THEN
            v_team := v_plan.team_id;
            v_k := array_position(v_slice_team, v_team);
            v_lo := coalesce(v_slice_lo[v_k], 1);
            v_hi := coalesce(v_slice_hi[v_k], 0);
            v_team_members := v_members[v_lo:v_hi];
        END IF;

        -- Sticky: a conversation of the same customer assigned earlier in this batch is the
        -- customer's latest (the newest such one, as route_conversation's lookup would find).
        IF v_plan.strategy = 'sticky' AND v_conv.last_agent_id IS NULL AND v_assigned_customer IS NOT NULL THEN
            SELECT a.agent INTO v_agent
              FROM unnest(v_assigned_customer, v_assigned_conversation, v_assigned_agent) AS a(customer, conversation, agent)
             WHERE a.customer = v_conv.customer_id
             ORDER BY a.conversation DESC LIMIT 1;
            IF FOUND THEN
                v_previous[v_i] := v_agent;
            END IF;
        END IF;
        -- The candidates, ranked as in route_conversation, with the batch's own assignments
        -- counted in their load.
        SELECT array_agg(k.agent_id), array_agg(k.note), array_agg(k.live), array_agg(k.max_open),
               array_agg(k.idx) FILTER (WHERE k.note IS NULL)
          INTO v_list.ids, v_list.notes, v_list.live, v_list.max_open, v_eligible
          FROM (SELECT m.agent_id, m.n::integer AS idx, r.note,
                       coalesce(v_cap_live[(m.slot_base + v_channel_at)], 0) AS live, coalesce(v_cap_max[(m.slot_base + v_channel_at)], 0) AS max_open
                  FROM unnest(v_team_members) WITH ORDINALITY
                       AS m(team_id, agent_id, agent, status, turns, languages, language_levels, categories, category_levels, slot_base, n)
                 CROSS JOIN LATERAL (SELECT m.language_levels[array_position(m.languages, v_conv.language)] AS language_level,
                                            m.category_levels[array_position(m.categories, v_conv.category)] AS skill_level,
                                            v_cap_live[(m.slot_base + v_channel_at)] AS live,
                                            v_cap_max[(m.slot_base + v_channel_at)] AS max_open,
                                            v_cap_last[(m.slot_base + v_channel_at)] AS last_assigned_at) x
                 CROSS JOIN LATERAL (SELECT CASE
                       WHEN m.status <> 'online' THEN m.status
                       WHEN coalesce(x.max_open, 0) = 0 THEN 'takes no ' || v_conv.channel || ' conversations'
                       WHEN x.live >= x.max_open THEN format('at capacity on %s (%s of %s)', v_conv.channel, x.live, x.max_open)
                       WHEN v_plan.require_language AND v_conv.language <> 'unknown' AND x.language_level IS NULL
                           THEN 'does not speak ' || v_conv.language
                       WHEN v_plan.require_skill AND v_conv.category IS NOT NULL AND x.skill_level IS NULL
                           THEN 'no skill in ' || v_conv.category
                       END AS note) r
                 ORDER BY r.note IS NOT NULL,
                          m.agent_id IS DISTINCT FROM v_previous[v_i],
                          CASE v_plan.strategy WHEN 'round_robin' THEN m.turns END,
                          CASE v_plan.strategy WHEN 'skills' THEN -(coalesce(x.language_level, 0) + coalesce(x.skill_level, 0)) END,
                          coalesce(x.live, 0)::float8 / nullif(coalesce(x.max_open, 0), 0),
                          coalesce(x.live, 0),
                          x.last_assigned_at NULLS FIRST,
                          m.agent_id) k;

        v_agent := NULL;
        v_busy := false;
        IF v_plan.strategy = 'round_robin' AND NOT v_plan.team_id = ANY (v_rr_teams) THEN
            v_state[v_i] := 'deferred';
            CONTINUE;
        END IF;
        IF v_plan.strategy = 'manual' THEN
            v_reasons[v_i] := 'manual strategy: waits in the team queue for an agent to take it';
        ELSIF v_eligible IS NULL THEN
            v_reasons[v_i] := 'no eligible agent: waits in the team queue';
        ELSE
            -- The first in rank whose capacity row this transaction holds (or takes now
            -- without waiting) and that still has room. A row another transaction holds is
            -- passed over for least loaded and skills (the next in rank is as good); the
            -- previous agent and the round robin's next are waited for by deferring.
            FOREACH v_idx IN ARRAY v_eligible LOOP
                v_member := v_team_members[v_idx];
                v_slot := v_member.slot_base + v_channel_at;
                v_wait := v_member.agent_id = v_previous[v_i] OR v_plan.strategy NOT IN ('least_loaded', 'skills');
                IF NOT v_cap_locked[v_slot] THEN
                    SELECT c.live, c.max_open INTO v_live, v_max FROM agent_capacity c
                     WHERE c.agent_id = v_member.agent_id AND c.channel = v_conv.channel FOR UPDATE SKIP LOCKED;
                    IF NOT FOUND THEN
                        v_busy := true;
                        EXIT WHEN v_wait;
                        CONTINUE;
                    END IF;
                    v_cap_locked[v_slot] := true;
                    v_cap_live[v_slot] := v_live;
                    v_cap_max[v_slot] := v_max;
                END IF;
                IF v_cap_live[v_slot] < v_cap_max[v_slot] THEN
                    v_agent := v_member.agent_id;
                    EXIT;
                END IF;
                v_list.notes[array_position(v_list.ids, v_member.agent_id)] := 'filled up meanwhile';
            END LOOP;
            IF v_agent IS NULL AND v_busy THEN
                v_state[v_i] := 'deferred';
                CONTINUE;
            END IF;
            IF v_agent IS NOT NULL THEN
                v_assigned_customer := v_assigned_customer || v_conv.customer_id;
                v_assigned_conversation := v_assigned_conversation || v_conv.id;
                v_assigned_agent := v_assigned_agent || v_agent;
                v_cap_live[v_slot] := v_cap_live[v_slot] + 1;
                v_cap_last[v_slot] := now();
                IF v_plan.strategy = 'round_robin' THEN
                    v_team_members[v_idx].turns := v_member.turns + 1;
                END IF;
            END IF;
            v_reasons[v_i] := CASE
                WHEN v_agent IS NULL THEN 'every eligible agent filled up meanwhile: waits in the team queue'
                WHEN v_agent = v_previous[v_i] AND v_previous[v_i] = v_conv.last_agent_id THEN 'back to the agent it had before'
                WHEN v_agent = v_previous[v_i] THEN 'sticky: the customer''s previous agent'
                WHEN v_previous[v_i] IS NOT NULL THEN format('%s; the previous agent is not eligible', v_plan.strategy)
                WHEN v_plan.strategy = 'round_robin' THEN 'round robin: fewest turns in the team'
                WHEN v_plan.strategy = 'skills' THEN 'skills: highest language and category level'
                ELSE 'least loaded: lowest share of capacity in use' END;
        END IF;
        v_state[v_i] := 'decided';
        v_agents[v_i] := v_agent;
        v_lists[v_i] := v_list;
    END LOOP;

    RETURN QUERY
    SELECT (v_convs[i]).id, 'deferred', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text
      FROM generate_subscripts(v_convs, 1) i
     WHERE v_state[i] = 'deferred';

    -- One update of the decided conversations (the capacity trigger counts each assignment
    -- against the rows this transaction holds), as route_conversation's.
    UPDATE conversations c
       SET team_id = (x.plan).team_id, priority = (x.plan).priority, routing_rule_id = (x.plan).rule_id,
           routing_strategy = (x.plan).strategy, sla_policy_id = (x.plan).sla_policy_id, routed_at = now(),
           first_response_due_at = CASE WHEN c.first_response_at IS NULL
               THEN coalesce(c.first_response_due_at, business_time_add(p.calendar_id, c.created_at, t.first_response))
               ELSE c.first_response_due_at END,
           resolution_due_at = coalesce(c.resolution_due_at,
               business_time_add(p.calendar_id, coalesce(c.reopened_at, c.created_at), t.resolution)),
           agent_id = x.agent, assigned_at = CASE WHEN x.agent IS NULL THEN NULL ELSE now() END,
           updated_at = now()
      FROM (SELECT (v_convs[i]).id, v_plans[i] AS plan, v_agents[i] AS agent
              FROM generate_subscripts(v_convs, 1) i WHERE v_state[i] = 'decided') x
      LEFT JOIN sla_policies p ON p.id = (x.plan).sla_policy_id
      LEFT JOIN sla_targets t ON t.policy_id = p.id AND t.priority = (x.plan).priority
     WHERE c.id = x.id;

    UPDATE team_members tm SET round_robin_turns = tm.round_robin_turns + x.turns
      FROM (SELECT (v_plans[i]).team_id, v_agents[i] AS agent, count(*) AS turns
              FROM generate_subscripts(v_convs, 1) i
             WHERE v_state[i] = 'decided' AND v_agents[i] IS NOT NULL AND (v_plans[i]).strategy = 'round_robin'
             GROUP BY 1, 2) x
     WHERE tm.team_id = x.team_id AND tm.agent_id = x.agent;

    RETURN QUERY
    SELECT d.conversation_id, d.outcome, d.id, d.team_id, d.agent_id, d.rule_name, d.strategy, d.reason
      FROM routing_log(ARRAY(SELECT routing_decision((v_convs[i]).id, v_plans[i], v_agents[i], p_cause, v_reasons[i], v_lists[i])
                               FROM generate_subscripts(v_convs, 1) i WHERE v_state[i] = 'decided' ORDER BY i)) d;
END $$;

-- Gives agent p_agent_id waiting conversations of their teams, most urgent and oldest first,
-- while they have capacity and are eligible. Returns how many they got. Safe to run from
-- several workers at once: each conversation is taken with SKIP LOCKED.
CREATE FUNCTION offer_waiting(p_agent_id bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_conv      conversations;
    v_plan      routing_plan;
    v_given     integer := 0;
    v_capacity  agent_capacity;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM agents WHERE id = p_agent_id AND status = 'online') THEN
        RETURN 0;
    END IF;
    LOOP
        SELECT c.* INTO v_conv
          FROM team_members tm
          JOIN conversations c ON c.team_id = tm.team_id AND c.status = 'open' AND c.agent_id IS NULL
          JOIN agent_capacity cap ON cap.agent_id = tm.agent_id AND cap.channel = c.channel AND cap.live < cap.max_open
          CROSS JOIN routing_settings s
          LEFT JOIN routing_rules r ON r.id = c.routing_rule_id
         WHERE tm.agent_id = p_agent_id
           AND c.routing_strategy IS DISTINCT FROM 'manual' AND c.routed_at IS NOT NULL
           AND (NOT coalesce(r.require_language, s.require_language) OR c.language = 'unknown'
                OR EXISTS (SELECT 1 FROM agent_skills k WHERE k.agent_id = p_agent_id AND k.kind = 'language' AND k.value = c.language))
           AND (NOT coalesce(r.require_skill, s.require_skill) OR c.category IS NULL
                OR EXISTS (SELECT 1 FROM agent_skills k WHERE k.agent_id = p_agent_id AND k.kind = 'category' AND k.value = c.category))
         ORDER BY c.priority, c.created_at, c.id
         LIMIT 1
           FOR UPDATE OF c SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        SELECT * INTO v_capacity FROM agent_capacity
         WHERE agent_id = p_agent_id AND channel = v_conv.channel AND live < max_open FOR UPDATE;
        EXIT WHEN NOT FOUND;
        v_plan := routing_plan_of(v_conv);
        UPDATE conversations SET agent_id = p_agent_id, assigned_at = now(), updated_at = now() WHERE id = v_conv.id;
        PERFORM routing_count_turn(v_plan, p_agent_id);
        PERFORM routing_record(v_conv.id, v_plan, p_agent_id, 'offer',
                               'offered from the team queue: the agent came online or freed capacity',
                               ROW(ARRAY[p_agent_id], ARRAY[NULL::text], ARRAY[v_capacity.live], ARRAY[v_capacity.max_open]));
        v_given := v_given + 1;
    END LOOP;
    RETURN v_given;
END $$;

-- offer_waiting for every online agent with room on some channel: the poll behind the
-- notifications, and the answer to a change of agents' skills or teams.
CREATE FUNCTION offer_waiting_all() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_agent bigint;
    v_given integer := 0;
BEGIN
    FOR v_agent IN SELECT DISTINCT a.id FROM agents a JOIN agent_capacity c ON c.agent_id = a.id
                    WHERE a.status = 'online' AND c.live < c.max_open ORDER BY a.id LOOP
        v_given := v_given + offer_waiting(v_agent);
    END LOOP;
    RETURN v_given;
END $$;

-- After a rule change: every waiting conversation is routed again under the new rules.
-- Returns how many route jobs were requested.
CREATE FUNCTION reroute_waiting() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    SELECT array_agg(id) INTO v_ids FROM conversations
     WHERE status = 'open' AND agent_id IS NULL AND routed_at IS NOT NULL AND NOT team_pinned;
    IF v_ids IS NOT NULL THEN
        PERFORM request_route(VARIADIC v_ids);
    END IF;
    RETURN coalesce(cardinality(v_ids), 0);
END $$;

-- Where the last p_last routed conversations would go under the rules as changed by p_enable
-- (rules to treat as enabled, e.g. a new rule inserted with enabled = false) and p_disable,
-- next to where they went. Changes nothing.
CREATE FUNCTION routing_dry_run(p_last integer DEFAULT 100, p_enable bigint[] DEFAULT '{}', p_disable bigint[] DEFAULT '{}')
RETURNS TABLE (conversation_id bigint, channel text, language text, category text,
               current_rule text, current_team text, current_agent text,
               rule text, team text, priority smallint, strategy text, first_choice text, changed boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_last IS NULL OR p_last < 1 THEN
        RAISE EXCEPTION 'routing_dry_run: p_last must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT c.id, c.channel, c.language, c.category,
           coalesce(cr.name, CASE WHEN c.routed_at IS NULL THEN NULL ELSE 'default' END), ct.name, ca.name,
           p.rule_name, pt.name, p.priority, p.strategy,
           (SELECT k.agent FROM routing_candidates(p.team_id, c.channel, c.language, c.category, p.require_language, p.require_skill) k
             WHERE k.eligible ORDER BY k.live::numeric / nullif(k.max_open, 0), k.agent_id LIMIT 1),
           p.rule_id IS DISTINCT FROM c.routing_rule_id OR p.team_id IS DISTINCT FROM c.team_id
      FROM (SELECT * FROM conversations x WHERE x.routed_at IS NOT NULL ORDER BY x.routed_at DESC, x.id DESC LIMIT p_last) c
      CROSS JOIN LATERAL routing_match(c, p_enable, p_disable) p
      LEFT JOIN routing_rules cr ON cr.id = c.routing_rule_id
      LEFT JOIN teams ct ON ct.id = c.team_id
      LEFT JOIN agents ca ON ca.id = c.agent_id
      LEFT JOIN teams pt ON pt.id = p.team_id
     ORDER BY c.routed_at DESC, c.id DESC;
END $$;

----------------------------------------------------------------------------------------------
-- Live reactions
----------------------------------------------------------------------------------------------

-- An agent going offline leaves their live conversations on the channels of
-- routing_settings.reassign_on_offline, which are routed again; one coming online hears of
-- what waits. Both through the agents table, so a plain UPDATE by an admin works too.
CREATE FUNCTION agents_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_moved    bigint[];
    v_channels text[] := (SELECT reassign_on_offline FROM routing_settings);
BEGIN
    IF NEW.status = 'offline' THEN
        WITH moved AS (
            UPDATE conversations c SET agent_id = NULL, last_agent_id = OLD.id, assigned_at = NULL, updated_at = now()
             WHERE c.agent_id = OLD.id AND c.status IN ('open', 'pending')
               AND c.channel = ANY (v_channels)
            RETURNING c.id, c.status, c.customer_id)
        SELECT array_agg(id) FILTER (WHERE status = 'open') INTO v_moved FROM moved;
        INSERT INTO audit_events (kind, actor_kind, actor_id, conversation_id, detail)
        SELECT 'conversation_unassigned', 'agent', OLD.id, x, jsonb_build_object('reason', 'agent went offline')
          FROM unnest(v_moved) x;
        IF v_moved IS NOT NULL THEN
            PERFORM request_route(VARIADIC v_moved);
        END IF;
    ELSIF NEW.status = 'online' THEN
        PERFORM pg_notify('switchboard_routing', 'agent:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER agents_status_change AFTER UPDATE OF status ON agents
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION agents_status_changed();

-- Any change to what routing reads is announced: 'rules' re-routes waiting conversations,
-- 'agents' re-offers them.
CREATE FUNCTION notify_routing_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('switchboard_routing', TG_ARGV[0]);
    RETURN NULL;
END $$;
CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('rules');
CREATE TRIGGER routing_settings_changed AFTER INSERT OR UPDATE OR DELETE ON routing_settings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('rules');
-- Not on the round robin counters routing updates with every assignment.
CREATE TRIGGER team_members_changed AFTER INSERT OR DELETE OR UPDATE OF team_id, agent_id ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');
CREATE TRIGGER agent_skills_changed AFTER INSERT OR UPDATE OR DELETE ON agent_skills
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');
-- Not on every counter change: only when an admin edits the row.
CREATE TRIGGER agent_capacity_changed AFTER INSERT OR DELETE OR UPDATE OF max_open ON agent_capacity
    FOR EACH STATEMENT EXECUTE FUNCTION notify_routing_change('agents');

----------------------------------------------------------------------------------------------
-- The agent desk's API
----------------------------------------------------------------------------------------------

CREATE FUNCTION desk_conversation(p_conversation_id bigint) RETURNS conversations LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conversation %', coalesce(p_conversation_id::text, 'null') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_conv;
END $$;

CREATE FUNCTION desk_agent(p_agent_id bigint) RETURNS agents LANGUAGE plpgsql AS $$
DECLARE
    v_agent agents;
BEGIN
    SELECT * INTO v_agent FROM agents WHERE id = p_agent_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no agent %', coalesce(p_agent_id::text, 'null') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_agent;
END $$;

-- Sets an agent's status (online, away, offline) and last seen time.
CREATE FUNCTION set_agent_status(p_agent_id bigint, p_status text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM desk_agent(p_agent_id);
    IF p_status IS NULL OR p_status NOT IN ('online', 'away', 'offline') THEN
        RAISE EXCEPTION 'agent status must be online, away or offline; got %', coalesce(quote_literal(p_status), 'null')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE agents SET status = p_status, last_seen_at = now() WHERE id = p_agent_id;
END $$;

-- An agent's reply: the outbound message, the outbox row the notification worker sends, the
-- first response time. The conversation then waits on the customer (pending). An agent of the
-- conversation's team may answer an unassigned conversation, and so takes it.
CREATE FUNCTION reply_to_conversation(p_conversation_id bigint, p_agent_id bigint, p_body text, p_subject text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_conv    conversations;
    v_agent   agents;
    v_locale  text;
    v_message bigint;
BEGIN
    v_conv := desk_conversation(p_conversation_id);
    v_agent := desk_agent(p_agent_id);
    IF p_body IS NULL OR btrim(p_body) = '' THEN
        RAISE EXCEPTION 'a reply needs a body' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.status = 'closed' THEN
        RAISE EXCEPTION 'conversation % is closed; a closed conversation takes no more messages', v_conv.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.agent_id IS DISTINCT FROM p_agent_id THEN
        IF v_conv.agent_id IS NOT NULL THEN
            RAISE EXCEPTION 'conversation % is assigned to agent %, not %; transfer it first', v_conv.id, v_conv.agent_id, p_agent_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM team_members WHERE team_id = v_conv.team_id AND agent_id = p_agent_id) THEN
            RAISE EXCEPTION 'agent % is not a member of the team of conversation %', p_agent_id, v_conv.id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    v_locale := coalesce(nullif(v_conv.language, 'unknown'),
                         (SELECT preferred_locale FROM customers WHERE id = v_conv.customer_id),
                         (SELECT default_locale FROM stores WHERE id = v_conv.store_id));
    INSERT INTO messages (store_id, conversation_id, direction, author_kind, agent_id, channel, subject, body_text, language)
    VALUES (v_conv.store_id, v_conv.id, 'outbound', 'agent', p_agent_id, v_conv.channel,
            coalesce(p_subject, v_conv.subject), p_body, v_locale)
    RETURNING id INTO v_message;
    INSERT INTO outbox (store_id, customer_id, conversation_id, message_id, kind, channel, locale, subject, body_text, idempotency_key)
    VALUES (v_conv.store_id, v_conv.customer_id, v_conv.id, v_message, 'reply', v_conv.channel, v_locale,
            coalesce(p_subject, v_conv.subject), p_body, 'reply:' || v_message);
    UPDATE conversations
       SET agent_id = p_agent_id,
           status = CASE WHEN status = 'resolved' THEN status ELSE 'pending' END,
           first_response_at = coalesce(first_response_at, now()),
           next_response_due_at = NULL, next_response_breached_at = NULL,
           message_count = message_count + 1, last_message_at = now(), updated_at = now()
     WHERE id = v_conv.id;
    RETURN v_message;
END $$;

-- Resolves a conversation: the agent's capacity is freed; a new message within the channel's
-- reopen window reopens it.
CREATE FUNCTION resolve_conversation(p_conversation_id bigint, p_agent_id bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations := desk_conversation(p_conversation_id);
BEGIN
    IF p_agent_id IS NOT NULL THEN PERFORM desk_agent(p_agent_id); END IF;
    IF v_conv.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'conversation % is already %', v_conv.id, v_conv.status USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE conversations
       SET status = 'resolved', resolved_at = now(), next_response_due_at = NULL, updated_at = now()
     WHERE id = v_conv.id;
    INSERT INTO audit_events (kind, actor_kind, actor_id, customer_id, conversation_id)
    VALUES ('conversation_resolved', CASE WHEN p_agent_id IS NULL THEN 'system' ELSE 'agent' END, p_agent_id,
            v_conv.customer_id, v_conv.id);
END $$;

-- Reopens a resolved conversation and routes it again (to its agent while they are eligible).
CREATE FUNCTION reopen_conversation(p_conversation_id bigint, p_reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv conversations := desk_conversation(p_conversation_id);
BEGIN
    IF v_conv.status <> 'resolved' THEN
        RAISE EXCEPTION 'conversation % is %; only a resolved conversation can be reopened', v_conv.id, v_conv.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE conversations
       SET status = 'open', resolved_at = NULL, reopened_at = now(), reopen_count = reopen_count + 1, updated_at = now()
     WHERE id = v_conv.id;
    INSERT INTO audit_events (kind, customer_id, conversation_id, detail)
    VALUES ('conversation_reopened', v_conv.customer_id, v_conv.id, jsonb_build_object('by', 'desk', 'reason', p_reason));
    PERFORM request_route(v_conv.id);
END $$;

-- Transfers a conversation to a team (routing picks the agent within it) or straight to an
-- agent (who must be in the team, not offline, and have capacity).
CREATE FUNCTION transfer_conversation(p_conversation_id bigint, p_team_id bigint DEFAULT NULL, p_agent_id bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_conv  conversations := desk_conversation(p_conversation_id);
    v_team  teams;
    v_agent agents;
    v_plan  routing_plan;
BEGIN
    IF p_team_id IS NULL AND p_agent_id IS NULL THEN
        RAISE EXCEPTION 'transfer_conversation needs a team, an agent or both' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_conv.status IN ('resolved', 'closed') THEN
        RAISE EXCEPTION 'conversation % is %; reopen it before transferring', v_conv.id, v_conv.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_team_id, v_conv.team_id) IS NULL THEN
        RAISE EXCEPTION 'conversation % has no team yet; name the team to transfer it to', v_conv.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_team FROM teams WHERE id = coalesce(p_team_id, v_conv.team_id);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no team %', p_team_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_agent_id IS NOT NULL AND p_agent_id = v_conv.agent_id AND v_team.id = v_conv.team_id THEN
        RAISE EXCEPTION 'conversation % is already with agent % in that team', v_conv.id, p_agent_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_agent_id IS NOT NULL THEN
        v_agent := desk_agent(p_agent_id);
        IF NOT EXISTS (SELECT 1 FROM team_members WHERE team_id = v_team.id AND agent_id = p_agent_id) THEN
            RAISE EXCEPTION 'agent % (%) is not a member of team %', v_agent.id, v_agent.name, v_team.name
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF v_agent.status = 'offline' THEN
            RAISE EXCEPTION 'agent % (%) is offline', v_agent.id, v_agent.name USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    UPDATE conversations
       SET team_id = v_team.id, team_pinned = true, agent_id = p_agent_id,
           routing_strategy = CASE WHEN p_team_id IS NULL THEN routing_strategy ELSE v_team.default_strategy END,
           last_agent_id = coalesce(agent_id, last_agent_id), updated_at = now()
     WHERE id = v_conv.id
    RETURNING * INTO v_conv;
    v_plan := routing_plan_of(v_conv);
    v_plan.rule_name := 'transfer';
    PERFORM routing_record(v_conv.id, v_plan, p_agent_id, 'transfer',
                           CASE WHEN p_agent_id IS NULL THEN 'transferred to team ' || v_team.name || '; routing picks the agent'
                                ELSE 'transferred to agent ' || v_agent.name END, NULL);
    IF p_agent_id IS NULL AND v_conv.status = 'open' THEN
        PERFORM request_route(v_conv.id);
    END IF;
END $$;

----------------------------------------------------------------------------------------------
-- SLA: breaches, escalation, attainment
----------------------------------------------------------------------------------------------

-- The outbox may carry internal alerts: to an address rather than a customer.
ALTER TABLE outbox
    ALTER COLUMN customer_id DROP NOT NULL,
    ADD COLUMN recipient text,
    ADD CONSTRAINT outbox_has_recipient CHECK (customer_id IS NOT NULL OR recipient IS NOT NULL);

-- Marks every first-response, next-response and resolution breach due by now, once each, and
-- escalates per the conversation's SLA policy: priority up one step, move to the escalation
-- team (routing picks an agent there), alert mail to the policy's address or the team's
-- supervisor. Run every minute by the leader's schedule (job 'sla_check', installed by routing
-- workers at start); returns the
-- number of breaches marked.
CREATE FUNCTION check_sla_breaches() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_breach  record;
    v_count   integer := 0;
BEGIN
    FOR v_breach IN
        WITH fr AS (
            UPDATE conversations SET first_response_breached_at = now()
             WHERE first_response_at IS NULL AND first_response_breached_at IS NULL AND first_response_due_at < now()
               AND status IN ('open', 'pending')
            RETURNING id, 'first_response'::text AS kind, first_response_due_at AS due_at),
        nr AS (
            UPDATE conversations SET next_response_breached_at = now()
             WHERE next_response_breached_at IS NULL AND next_response_due_at < now() AND status IN ('open', 'pending')
            RETURNING id, 'next_response'::text AS kind, next_response_due_at AS due_at),
        res AS (
            UPDATE conversations SET resolution_breached_at = now()
             WHERE resolved_at IS NULL AND resolution_breached_at IS NULL AND resolution_due_at < now()
               AND status IN ('open', 'pending')
            RETURNING id, 'resolution'::text AS kind, resolution_due_at AS due_at)
        SELECT * FROM fr UNION ALL SELECT * FROM nr UNION ALL SELECT * FROM res ORDER BY id
    LOOP
        v_count := v_count + 1;
        PERFORM escalate_sla_breach(v_breach.id, v_breach.kind, v_breach.due_at);
    END LOOP;
    RETURN v_count;
END $$;

CREATE FUNCTION escalate_sla_breach(p_conversation_id bigint, p_kind text, p_due_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_conv      conversations;
    v_escalated conversations;
    v_plan      routing_plan;
    v_policy    sla_policies;
    v_team      teams;
    v_to        text;
BEGIN
    SELECT * INTO v_conv FROM conversations WHERE id = p_conversation_id FOR UPDATE;
    SELECT * INTO v_policy FROM sla_policies WHERE id = v_conv.sla_policy_id;
    INSERT INTO audit_events (kind, customer_id, conversation_id, detail)
    VALUES ('sla_breached', v_conv.customer_id, v_conv.id,
            jsonb_build_object('target', p_kind, 'due_at', p_due_at, 'policy', v_policy.name));
    IF v_policy.id IS NULL THEN RETURN; END IF;
    IF v_policy.escalate_raise_priority AND v_conv.priority > 1 THEN
        UPDATE conversations SET priority = priority - 1, escalated_at = now(), updated_at = now() WHERE id = v_conv.id;
    END IF;
    IF v_policy.escalation_team_id IS NOT NULL AND v_conv.team_id IS DISTINCT FROM v_policy.escalation_team_id THEN
        UPDATE conversations
           SET team_id = v_policy.escalation_team_id, team_pinned = true, escalated_at = now(),
               last_agent_id = coalesce(agent_id, last_agent_id), agent_id = NULL,
               routing_strategy = (SELECT default_strategy FROM teams WHERE id = v_policy.escalation_team_id),
               updated_at = now()
         WHERE id = v_conv.id
        RETURNING * INTO v_escalated;
        v_plan := routing_plan_of(v_escalated);
        v_plan.rule_name := 'escalation';
        PERFORM routing_record(v_conv.id, v_plan, NULL, 'escalation',
                               format('SLA %s target missed (due %s): moved to the escalation team', p_kind, p_due_at), NULL);
        IF v_conv.status = 'open' THEN PERFORM request_route(v_conv.id); END IF;
    END IF;
    SELECT * INTO v_team FROM teams WHERE id = coalesce(v_policy.escalation_team_id, v_conv.team_id);
    v_to := coalesce(v_policy.alert_email, v_team.supervisor_email);
    IF v_to IS NOT NULL THEN
        INSERT INTO outbox (store_id, conversation_id, kind, channel, locale, recipient, subject, body_text, idempotency_key)
        VALUES (v_conv.store_id, v_conv.id, 'sla_alert', 'email', 'en', v_to,
                format('SLA breach: conversation %s missed its %s target', v_conv.id, replace(p_kind, '_', ' ')),
                format('Conversation %s (%s, priority %s, team %s) missed its %s target, due %s, under SLA policy %s.',
                       v_conv.id, v_conv.channel, v_conv.priority, coalesce(v_team.name, '-'), replace(p_kind, '_', ' '),
                       p_due_at, v_policy.name),
                format('sla:%s:%s:%s', v_conv.id, p_kind, extract(epoch FROM p_due_at)))
        ON CONFLICT (idempotency_key) DO NOTHING;
    END IF;
END $$;

-- SLA attainment per team and day: of the conversations whose target fell due (or was met)
-- that day, how many were met. Sum the met and breached columns for weeks or months.
CREATE VIEW sla_attainment AS
WITH measured AS (
    SELECT c.team_id, 'first_response'::text AS target, date_trunc('day', c.first_response_due_at) AS period,
           coalesce(c.first_response_at <= c.first_response_due_at, false) AS met,
           coalesce(c.first_response_at > c.first_response_due_at, c.first_response_due_at < now()) AS breached
      FROM conversations c WHERE c.first_response_due_at IS NOT NULL
    UNION ALL
    SELECT c.team_id, 'resolution', date_trunc('day', c.resolution_due_at),
           coalesce(c.resolved_at <= c.resolution_due_at, false),
           coalesce(c.resolved_at > c.resolution_due_at, c.resolution_due_at < now())
      FROM conversations c WHERE c.resolution_due_at IS NOT NULL
)
SELECT m.team_id, t.name AS team, m.period, m.target,
       count(*) FILTER (WHERE m.met) AS met,
       count(*) FILTER (WHERE m.breached) AS breached,
       count(*) FILTER (WHERE NOT m.met AND NOT m.breached) AS running,
       round(100.0 * count(*) FILTER (WHERE m.met) / nullif(count(*) FILTER (WHERE m.met OR m.breached), 0), 1) AS attainment_pct
  FROM measured m LEFT JOIN teams t ON t.id = m.team_id
 GROUP BY m.team_id, t.name, m.period, m.target;
