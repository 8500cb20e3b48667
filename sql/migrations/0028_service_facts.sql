-- The service metrics' facts kept per conversation, so that a month's report sums a month's rows
-- instead of recomputing every conversation's messages and business hours. A change to what a
-- conversation's facts are made of (its row, its messages, its store's calendar or time zone)
-- appends its id to service_facts_stale in the same transaction; the survey worker's leader
-- recomputes those rows (`service_facts_refresh()`), and until then the metrics read the stale
-- conversations live, so they always equal `conversation_facts`. Definitions in
-- sql/definitions/metrics.sql; see docs/metrics.md.

-- One row per conversation: the columns of the view conversation_facts.
CREATE TABLE service_facts (
    conversation_id            bigint      PRIMARY KEY REFERENCES conversations ON DELETE CASCADE,
    store_id                   bigint      NOT NULL,
    team_id                    bigint,
    agent_id                   bigint,
    channel                    text        NOT NULL,
    category                   text,
    language                   text        NOT NULL,
    status                     text        NOT NULL,
    created_at                 timestamptz NOT NULL,
    day                        date        NOT NULL,
    first_customer_at          timestamptz,
    first_human_reply_at       timestamptz,
    first_bot_reply_at         timestamptz,
    agent_replies              integer     NOT NULL,
    bot_replies                integer     NOT NULL,
    resolved_at                timestamptz,
    reopen_count               integer     NOT NULL,
    calendar_id                bigint,
    first_response_s           float8,
    first_response_business_s  float8,
    first_bot_response_s       float8,
    resolution_s               float8,
    resolution_business_s      float8,
    requester_wait_s           float8,
    requester_wait_business_s  float8,
    first_contact_resolved     boolean     NOT NULL,
    reopened                   boolean     NOT NULL,
    bot_deflected              boolean     NOT NULL,
    first_response_sla_met     boolean,
    resolution_sla_met         boolean
);
-- A store's period, with every column the daily sums read, so that a month is one index range
-- read without visiting the table; the backlog: conversations resolved after a moment (or not at
-- all) that began before it.
CREATE INDEX service_facts_store_day ON service_facts (store_id, day)
    INCLUDE (team_id, agent_id, channel, category, language, conversation_id, resolved_at, first_response_s,
             first_response_business_s, first_bot_response_s, resolution_s, resolution_business_s, requester_wait_s,
             requester_wait_business_s, first_contact_resolved, reopened, bot_deflected, first_response_sla_met, resolution_sla_met);
CREATE INDEX service_facts_store_resolved ON service_facts (store_id, resolved_at, created_at) INCLUDE (conversation_id);

-- Conversations whose service_facts row is missing or out of date. Appended to, never updated:
-- a change committed while the refresh runs leaves its own row behind for the next refresh.
CREATE TABLE service_facts_stale (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  bigint      NOT NULL,
    marked_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_facts_stale_conversation ON service_facts_stale (conversation_id);

-- Every conversation there is now gets its row at the first refresh.
INSERT INTO service_facts_stale (conversation_id) SELECT id FROM conversations;

-- A period's surveys, by when they were queued, with what the survey scores read; and whether
-- each one's message was sent, without visiting the outbox.
CREATE INDEX surveys_queued ON surveys (queued_at) INCLUDE (store_id, kind, rating, conversation_id, outbox_id)
    WHERE queued_at IS NOT NULL;
CREATE INDEX outbox_survey_status ON outbox (id) INCLUDE (status) WHERE purpose = 'surveys';

-- service_metrics() and service_backlog() take p_recompute (sql/definitions/metrics.sql); the
-- old signatures go, so that a call with three arguments is not ambiguous.
DROP FUNCTION IF EXISTS service_metrics(date, date, text);
DROP FUNCTION IF EXISTS service_backlog(bigint, date, date);
