-- Templates the notification worker renders with Mustache (per store, kind, channel and
-- locale, falling back to the store's language and then English), and the admin rules that turn
-- order events into notices. Functions in sql/definitions/notify_templates.sql and
-- notify_notices.sql.

CREATE TABLE notify_templates (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Null: every store (a store's own template wins).
    store_id    bigint      REFERENCES stores,
    kind        text        NOT NULL CONSTRAINT notify_templates_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    -- Null: any channel (a channel's own template wins).
    channel     text        CONSTRAINT notify_templates_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    locale      text        NOT NULL CONSTRAINT notify_templates_locale_format CHECK (locale ~ '^[a-z]{2,3}$'),
    -- Mustache, both; the subject is used by email only.
    subject     text,
    body        text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notify_templates_one_per_place ON notify_templates (coalesce(store_id, 0), kind, coalesce(channel, ''), locale);

-- A row may name a template instead of carrying its text: the worker renders it when it sends,
-- from the rows it refers to (customer, order, conversation) and its own variables, and keeps
-- what it rendered in subject and body_text.
ALTER TABLE outbox
    ALTER COLUMN body_text DROP NOT NULL,
    ADD COLUMN template_kind text CONSTRAINT outbox_template_kind_format CHECK (template_kind ~ '^[a-z][a-z0-9_]*$'),
    ADD COLUMN order_id      bigint REFERENCES orders,
    ADD COLUMN variables     jsonb CONSTRAINT outbox_variables_object CHECK (jsonb_typeof(variables) = 'object'),
    ADD CONSTRAINT outbox_text_or_template CHECK (body_text IS NOT NULL OR template_kind IS NOT NULL);

ALTER TABLE notify_settings
    -- An SMS is cut to this many segments (153 GSM-7 or 67 UCS-2 characters each), ending in "…".
    ADD COLUMN max_sms_segments integer NOT NULL DEFAULT 3 CONSTRAINT notify_settings_sms_segments_positive CHECK (max_sms_segments > 0);

-- Which order events tell the customer, how and when. One notice per (order, rule).
CREATE TABLE notification_rules (
    id                bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text     NOT NULL UNIQUE CONSTRAINT notification_rules_name_given CHECK (name <> ''),
    -- Null: every store.
    store_id          bigint   REFERENCES stores,
    -- An order event's kind, or delivery_overdue (estimated_delivery passed without delivery) or
    -- first_order_anniversary (a year after the customer's first order), which the sweep detects.
    event_kind        text     NOT NULL CONSTRAINT notification_rules_event_known CHECK (event_kind IN (
                                   'created', 'paid', 'processing', 'shipped', 'out_for_delivery', 'delivered', 'delayed',
                                   'cancelled', 'returned', 'refunded', 'delivery_overdue', 'first_order_anniversary')),
    -- How long after the event the notice goes.
    delay             interval NOT NULL DEFAULT '0' CONSTRAINT notification_rules_delay_not_negative CHECK (delay >= '0'),
    purpose           text     NOT NULL CONSTRAINT notification_rules_purpose_known
                                   CHECK (purpose IN ('transactional', 'order_updates', 'marketing', 'surveys')),
    -- In order of preference: the first the customer has an address on and allows is used.
    channels          text[]   NOT NULL CONSTRAINT notification_rules_channels_known
                                   CHECK (cardinality(channels) > 0 AND channels <@ ARRAY['email', 'sms', 'chat', 'social']),
    template_kind     text     NOT NULL CONSTRAINT notification_rules_template_format CHECK (template_kind ~ '^[a-z][a-z0-9_]*$'),
    -- Conditions: any tier when null; a minimum order total; the customer's first order only.
    tiers             text[],
    min_total         numeric,
    first_order_only  boolean  NOT NULL DEFAULT false,
    -- Goes through quiet hours.
    urgent            boolean  NOT NULL DEFAULT false,
    enabled           boolean  NOT NULL DEFAULT true
);

-- notify_begin gains the template columns; a function's result columns cannot change in place.
DROP FUNCTION IF EXISTS notify_begin(bigint);
