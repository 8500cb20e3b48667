-- Routing and assignment: business-hours calendars, SLA policies, agents' skills and capacity,
-- routing rules, the routing decision log, routing one conversation or a batch, the agent
-- desk's SQL API and the SLA check.
-- Admin guide: docs/routing.md.
--
-- Every admin table refuses bad rows with a message that says what is wrong. Changes are read
-- by the next routing decision (rules are evaluated in SQL, never cached) and announced on the
-- channel switchboard_routing, so running routing workers re-offer waiting conversations at once.
--
-- Its functions, trigger functions, triggers and views are defined in sql/definitions/ (one
-- file per area, re-applied when changed); this file keeps what cannot be replayed.
-- previously applied as sha256:81b2b782c413c077f89d2fa8df651feca5c610bfd47e625c1247693c0ca4612f

CREATE FUNCTION routing_channels() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['email', 'sms', 'chat', 'social', 'webform', 'phone'] $$;

CREATE FUNCTION routing_strategies() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['round_robin', 'least_loaded', 'skills', 'sticky', 'manual'] $$;

----------------------------------------------------------------------------------------------
-- Business hours
----------------------------------------------------------------------------------------------

CREATE TABLE business_calendars (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (name <> ''),
    time_zone   text        NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

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

CREATE TABLE business_holidays (
    calendar_id  bigint NOT NULL REFERENCES business_calendars ON DELETE CASCADE,
    day          date   NOT NULL,
    name         text   NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
);

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
-- Routing looks skills up by what they are, for a whole team at once.
CREATE INDEX agent_skills_value ON agent_skills (kind, value);

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

-- The candidates' arrays of a decision.
CREATE TYPE routing_candidate_list AS (
    ids       bigint[],
    notes     text[],
    live      integer[],
    max_open  integer[]
);

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

----------------------------------------------------------------------------------------------
-- SLA: breaches, escalation, attainment
----------------------------------------------------------------------------------------------

-- The outbox may carry internal alerts: to an address rather than a customer.
ALTER TABLE outbox
    ALTER COLUMN customer_id DROP NOT NULL,
    ADD COLUMN recipient text,
    ADD CONSTRAINT outbox_has_recipient CHECK (customer_id IS NOT NULL OR recipient IS NOT NULL);