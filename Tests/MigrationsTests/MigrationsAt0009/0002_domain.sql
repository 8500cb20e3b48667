-- The helpdesk domain: stores, customers and their channel identities, orders, teams and agents,
-- conversations and their messages, the audit trail, the outbox, and the two tables integrations
-- write to (inbound_messages, order_events). See docs/architecture.md and docs/integrations.md.
--
-- Personal data lives here only: jobs carry ids, so erasing a customer touches these tables alone.

-- A deployment serves one merchant; each storefront or brand is a store.
CREATE TABLE stores (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text        NOT NULL UNIQUE,
    name            text        NOT NULL,
    is_default      boolean     NOT NULL DEFAULT false,
    default_locale  text        NOT NULL DEFAULT 'en',
    time_zone       text        NOT NULL DEFAULT 'UTC',
    -- Used for the Message-IDs of outbound mail and as the From of replies.
    support_email   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stores_code_format CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    CONSTRAINT stores_locale_format CHECK (default_locale ~ '^[a-z]{2,3}$')
);
CREATE UNIQUE INDEX stores_one_default ON stores (is_default) WHERE is_default;
INSERT INTO stores (code, name, is_default) VALUES ('default', 'Default store', true);

-- Help-desk wide settings for ingest (one row).
CREATE TABLE ingest_settings (
    only_row            boolean  PRIMARY KEY DEFAULT true CHECK (only_row),
    -- Payloads above this many bytes are rejected as too_large.
    max_payload_bytes   integer  NOT NULL DEFAULT 10485760 CHECK (max_payload_bytes > 0),
    -- Region for phone numbers written without a country code (ISO 3166 alpha-2), or null.
    default_region      text     CHECK (default_region ~ '^[A-Z]{2}$'),
    -- An order at or above this total marks its conversation with the high_order_value hint.
    high_order_value    numeric  NOT NULL DEFAULT 500 CHECK (high_order_value >= 0),
    -- An automatic answer needs its intent to score at least this and more than any other intent.
    auto_answer_min_score numeric NOT NULL DEFAULT 2 CHECK (auto_answer_min_score > 0)
);
INSERT INTO ingest_settings DEFAULT VALUES;

-- How long a conversation keeps taking new messages on each channel, and how long after
-- resolution a new message reopens it instead of starting a new one.
CREATE TABLE channel_settings (
    channel         text     PRIMARY KEY CHECK (channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone')),
    thread_window   interval NOT NULL CHECK (thread_window >= interval '0'),
    reopen_window   interval NOT NULL CHECK (reopen_window >= interval '0')
);
INSERT INTO channel_settings (channel, thread_window, reopen_window) VALUES
    ('email',   interval '14 days', interval '7 days'),
    ('sms',     interval '2 days',  interval '2 days'),
    ('chat',    interval '2 hours', interval '1 hour'),
    ('social',  interval '2 days',  interval '2 days'),
    ('webform', interval '1 day',   interval '1 day'),
    ('phone',   interval '1 day',   interval '1 day');

CREATE TABLE customers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id          bigint      NOT NULL REFERENCES stores,
    name              text,
    -- Routing and priority read the tier; 'vip' raises priority.
    tier              text        NOT NULL DEFAULT 'standard' CHECK (tier ~ '^[a-z][a-z0-9_]*$'),
    preferred_locale  text        CHECK (preferred_locale ~ '^[a-z]{2,3}$'),
    preferred_channel text        CHECK (preferred_channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone')),
    -- Set when this profile was found to be the same person as another; its rows moved there.
    merged_into       bigint      REFERENCES customers,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_store ON customers (store_id);

-- How a customer reaches us: a normalised email, an E.164 phone, a social handle per platform,
-- or a chat session. One identity belongs to one customer per store.
CREATE TABLE customer_identities (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id      bigint      NOT NULL REFERENCES stores,
    customer_id   bigint      NOT NULL REFERENCES customers,
    kind          text        NOT NULL CHECK (kind IN ('email', 'phone', 'social', 'chat')),
    -- The social platform (whatsapp, facebook, instagram…); '' for the other kinds.
    platform      text        NOT NULL DEFAULT '',
    value         text        NOT NULL CHECK (value <> ''),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_identities_unique UNIQUE (store_id, kind, platform, value),
    CONSTRAINT customer_identities_phone_e164 CHECK (kind <> 'phone' OR value ~ '^\+[1-9][0-9]{6,14}$'),
    CONSTRAINT customer_identities_platform CHECK ((kind = 'social') = (platform <> ''))
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE teams (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint REFERENCES stores,
    name        text        NOT NULL UNIQUE CHECK (name <> ''),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL UNIQUE CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    name          text        NOT NULL CHECK (name <> ''),
    status        text        NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    last_seen_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id   bigint NOT NULL REFERENCES teams ON DELETE CASCADE,
    agent_id  bigint NOT NULL REFERENCES agents ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members (agent_id);

CREATE TABLE orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id            bigint      NOT NULL REFERENCES stores,
    customer_id         bigint      REFERENCES customers,
    number              text        NOT NULL CHECK (number <> ''),
    status              text        NOT NULL DEFAULT 'placed',
    currency            text        CHECK (currency ~ '^[A-Z]{3}$'),
    total               numeric(14, 2),
    carrier             text,
    tracking_number     text,
    tracking_url        text,
    estimated_delivery  date,
    placed_at           timestamptz NOT NULL DEFAULT now(),
    -- When the event that set the status happened; an older event arriving late does not undo it.
    status_at           timestamptz NOT NULL DEFAULT now(),
    shipped_at          timestamptz,
    delivered_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_number_unique UNIQUE (store_id, number),
    CONSTRAINT orders_status_valid CHECK (status IN ('placed', 'paid', 'processing', 'shipped', 'out_for_delivery',
                                                     'delivered', 'delayed', 'cancelled', 'returned', 'refunded'))
);
CREATE INDEX orders_customer ON orders (customer_id, placed_at DESC);

CREATE TABLE order_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint   NOT NULL REFERENCES orders ON DELETE CASCADE,
    sku         text,
    name        text     NOT NULL,
    quantity    integer  NOT NULL CHECK (quantity > 0),
    unit_price  numeric(14, 2)
);
CREATE INDEX order_items_order ON order_items (order_id);

-- Categories conversations are sorted into; category_rules and routing refer to them.
CREATE TABLE categories (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    description  text NOT NULL
);
INSERT INTO categories (name, description) VALUES
    ('technical',    'The site, the app, an account or a device does not work'),
    ('product',      'Questions about a product: size, material, compatibility, availability'),
    ('ordering',     'Placing, changing or cancelling an order'),
    ('delivery',     'Where an order is, shipping times and carriers'),
    ('returns',      'Returns, exchanges, refunds of returned goods'),
    ('payment',      'Charges, invoices, payment methods, failed payments'),
    ('consultation', 'Advice before buying');

CREATE TABLE conversations (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id                bigint      NOT NULL REFERENCES stores,
    customer_id             bigint      NOT NULL REFERENCES customers,
    channel                 text        NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone')),
    -- The chat session or social thread this conversation follows, when the channel has one.
    thread_key              text,
    status                  text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    subject                 text,
    -- ISO 639 code from the detector, or 'unknown'.
    language                text        NOT NULL DEFAULT 'unknown',
    category                text        REFERENCES categories,
    category_score          numeric,
    -- 1 urgent, 2 high, 3 normal, 4 low.
    priority                smallint    NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
    priority_hints          text[]      NOT NULL DEFAULT '{}',
    order_id                bigint      REFERENCES orders,
    team_id                 bigint      REFERENCES teams,
    agent_id                bigint      REFERENCES agents,
    -- Set when a bot answered the customer's question without an agent.
    auto_answered_intent    text,
    first_response_due_at   timestamptz,
    next_response_due_at    timestamptz,
    resolution_due_at       timestamptz,
    first_response_at       timestamptz,
    resolved_at             timestamptz,
    closed_at               timestamptz,
    reopen_count            integer     NOT NULL DEFAULT 0,
    reopened_at             timestamptz,
    message_count           integer     NOT NULL DEFAULT 0,
    last_message_at         timestamptz NOT NULL DEFAULT now(),
    last_customer_message_at timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
-- Indexes name no column a new message changes (last_message_at, counters), so that update
-- stays on its page (HOT) without touching any index.
CREATE INDEX conversations_customer ON conversations (customer_id, channel);
ALTER TABLE conversations SET (fillfactor = 80);
CREATE INDEX conversations_agent_live ON conversations (agent_id) WHERE status IN ('open', 'pending');
CREATE INDEX conversations_team_waiting ON conversations (team_id, priority, created_at)
    WHERE status = 'open' AND agent_id IS NULL;

-- What integrations insert: one row per message received on any channel. Nothing here is ever
-- refused for its content; ingest marks what it cannot read as rejected, with a reason.
CREATE TABLE inbound_messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- A store code; null means the default store.
    store            text,
    channel          text,
    -- The provider's id for the message (SMS sid, chat message id…), used to drop repeated deliveries.
    external_id      text,
    payload          bytea,
    received_at      timestamptz NOT NULL DEFAULT now(),
    -- received → processed | duplicate | automated | rejected
    status           text        NOT NULL DEFAULT 'received',
    reject_code      text,
    reject_reason    text,
    message_id       bigint,
    conversation_id  bigint,
    processed_at     timestamptz,
    CONSTRAINT inbound_messages_status_valid CHECK (status IN ('received', 'processed', 'duplicate', 'automated', 'rejected')),
    CONSTRAINT inbound_messages_rejection_reason CHECK ((status = 'rejected') = (reject_code IS NOT NULL))
);
CREATE INDEX inbound_messages_rejected ON inbound_messages (received_at) WHERE status = 'rejected';

CREATE TABLE messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id         bigint      NOT NULL REFERENCES stores,
    conversation_id  bigint      NOT NULL REFERENCES conversations,
    direction        text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author_kind      text        NOT NULL CHECK (author_kind IN ('customer', 'agent', 'bot', 'system')),
    agent_id         bigint      REFERENCES agents,
    channel          text        NOT NULL,
    subject          text,
    -- The new text of the message (quoted earlier replies removed); full_text keeps everything.
    body_text        text        NOT NULL,
    full_text        text,
    body_html        text,
    language         text,
    attachments      jsonb       NOT NULL DEFAULT '[]',
    -- Channel details: the social platform and thread, the phone call's agent and duration…
    details          jsonb       NOT NULL DEFAULT '{}',
    external_id      text,
    -- Email threading: this message's Message-ID and the ids it answers.
    email_message_id text,
    in_reply_to      text,
    "references"     text[]      NOT NULL DEFAULT '{}',
    -- Why an automatic mail (auto-reply, bounce) is not the customer writing.
    automatic_reason text,
    inbound_id       bigint      REFERENCES inbound_messages,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_external_unique ON messages (store_id, channel, external_id)
    WHERE external_id IS NOT NULL AND direction = 'inbound';
CREATE UNIQUE INDEX messages_email_message_id_unique ON messages (store_id, email_message_id)
    WHERE email_message_id IS NOT NULL;

-- Messages waiting to go out; the notification worker sends them through the customer's channel.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id         bigint      NOT NULL REFERENCES stores,
    customer_id      bigint      NOT NULL REFERENCES customers,
    conversation_id  bigint      REFERENCES conversations,
    message_id       bigint      REFERENCES messages,
    -- reply (an agent's), auto_answer (a bot's), order_update, survey…
    kind             text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    channel          text        NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'social', 'webform', 'phone')),
    locale           text        NOT NULL,
    subject          text,
    body_text        text        NOT NULL,
    -- At most one send per key.
    idempotency_key  text        NOT NULL UNIQUE,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    send_after       timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_pending ON outbox (send_after) WHERE status = 'pending';
CREATE INDEX outbox_customer ON outbox (customer_id);

-- What happened to whom, and why: merges, reopenings, order links, automatic answers…
CREATE TABLE audit_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    kind             text        NOT NULL,
    -- customer, agent, bot, system, integration, admin
    actor_kind       text        NOT NULL DEFAULT 'system',
    actor_id         bigint,
    customer_id      bigint,
    conversation_id  bigint,
    order_id         bigint,
    detail           jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_conversation ON audit_events (conversation_id, id) WHERE conversation_id IS NOT NULL;
CREATE INDEX audit_events_customer ON audit_events (customer_id, id) WHERE customer_id IS NOT NULL;

-- What shops insert about orders: created, paid, shipped, delayed, delivered… Applied to
-- orders by the ingest worker; what cannot be applied is kept and marked rejected.
CREATE TABLE order_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store          text,
    order_number   text,
    kind           text,
    payload        jsonb       NOT NULL DEFAULT '{}',
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    received_at    timestamptz NOT NULL DEFAULT now(),
    -- received → applied | rejected
    status         text        NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'applied', 'rejected')),
    reject_reason  text,
    order_id       bigint,
    processed_at   timestamptz
);

-- One ingest job per inserted row, in the inserting transaction: job kind TG_ARGV[0], with the
-- row's id under the argument name TG_ARGV[1]. SECURITY DEFINER because the integration role may
-- insert into these tables but not into jobs.
CREATE FUNCTION enqueue_ingest_jobs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO jobs (queue, kind, args, max_attempts)
    SELECT 'ingest', TG_ARGV[0], jsonb_build_object(TG_ARGV[1], id), 10 FROM inserted ORDER BY id;
    RETURN NULL;
END $$;
CREATE TRIGGER inbound_messages_enqueue AFTER INSERT ON inbound_messages
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_ingest_jobs('ingest', 'inbound_id');
CREATE TRIGGER order_events_enqueue AFTER INSERT ON order_events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION enqueue_ingest_jobs('order_event', 'order_event_id');

-- A SECURITY DEFINER function must not look names up in a search path the caller controls.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION enqueue_ingest_jobs() SET search_path = %I, pg_temp', current_schema());
END $$;

-- The integration role may insert inbound messages and order events, and nothing else. Roles are
-- cluster-wide: created once, granted per schema. A migrating user without CREATEROLE is told
-- what to run instead.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_integration') THEN
        BEGIN
            CREATE ROLE switchboard_integration NOLOGIN;
        EXCEPTION WHEN insufficient_privilege OR unique_violation OR duplicate_object THEN
            RAISE NOTICE 'could not create role switchboard_integration (%); a superuser should run: CREATE ROLE switchboard_integration NOLOGIN, then re-grant as in docs/integrations.md', SQLERRM;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_integration') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO switchboard_integration', current_schema());
        EXECUTE 'GRANT INSERT ON inbound_messages, order_events TO switchboard_integration';
    END IF;
END $$;
