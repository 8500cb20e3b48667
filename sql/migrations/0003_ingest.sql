-- Ingest: the admin-editable rules (categories, urgency, automatic answers and their texts) and
-- the functions the ingest worker calls. The worker parses payloads and detects the language;
-- everything that decides (identity, threading, categories, answers) happens here, in one
-- transaction per message. See docs/ingest.md.
--
-- Its functions, trigger functions, triggers and views are defined in sql/definitions/ (one
-- file per area, re-applied when changed); this file keeps what cannot be replayed.
-- previously applied as sha256:13ce9d9e44282fc1333184d6aa1d5fef40414b60665212eadcc82d33704afa14

-- A message whose text matches rules of a category scores the sum of their weights; the
-- highest-scoring category wins. Rules of language '*' apply to every message; the others to
-- messages detected in their language (and to all messages whose language is unknown).
CREATE TABLE category_rules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint      REFERENCES stores,
    category    text        NOT NULL REFERENCES categories,
    language    text        NOT NULL DEFAULT '*',
    pattern     text        NOT NULL,
    weight      numeric     NOT NULL DEFAULT 1,
    enabled     boolean     NOT NULL DEFAULT true,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Words that make a conversation urgent ("urgent", "терміново", "pilne"…).
CREATE TABLE urgency_rules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint      REFERENCES stores,
    language    text        NOT NULL DEFAULT '*',
    pattern     text        NOT NULL,
    weight      numeric     NOT NULL DEFAULT 1,
    enabled     boolean     NOT NULL DEFAULT true,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The questions answered without an agent.
CREATE TABLE auto_answer_intents (
    name         text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    description  text NOT NULL
);
INSERT INTO auto_answer_intents (name, description) VALUES
    ('where_is_my_order', 'Where is my order: answered with the linked or latest order''s status and tracking link'),
    ('return_policy',     'What is your return policy: answered with the return policy text'),
    ('shipping_time',     'How long does shipping take: answered with the shipping time text');

-- Scored like category_rules; the best intent must reach ingest_settings.auto_answer_min_score
-- and beat every other intent, or no automatic answer is given.
CREATE TABLE auto_answer_rules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint      REFERENCES stores,
    intent      text        NOT NULL REFERENCES auto_answer_intents,
    language    text        NOT NULL DEFAULT '*',
    pattern     text        NOT NULL,
    weight      numeric     NOT NULL DEFAULT 1,
    enabled     boolean     NOT NULL DEFAULT true,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The answer's wording per intent and locale, as a Mustache template. Variables:
-- customer_name, order_number, status, carrier, tracking_number, tracking_url,
-- estimated_delivery (where_is_my_order); policy (return_policy, shipping_time).
CREATE TABLE auto_answer_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint      REFERENCES stores,
    intent      text        NOT NULL REFERENCES auto_answer_intents,
    locale      text        NOT NULL,
    body        text        NOT NULL CHECK (btrim(body) <> ''),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auto_answer_templates_unique UNIQUE NULLS NOT DISTINCT (store_id, intent, locale)
);

-- The store's policies in each locale; a store-specific row wins over the global one (store_id null).
CREATE TABLE policy_texts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id    bigint      REFERENCES stores,
    topic       text        NOT NULL CHECK (topic IN ('return_policy', 'shipping_time')),
    locale      text        NOT NULL,
    body        text        NOT NULL CHECK (btrim(body) <> ''),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policy_texts_unique UNIQUE NULLS NOT DISTINCT (store_id, topic, locale)
);

-- How an order status reads in each locale.
CREATE TABLE order_status_labels (
    locale  text NOT NULL,
    status  text NOT NULL,
    label   text NOT NULL CHECK (btrim(label) <> ''),
    PRIMARY KEY (locale, status)
);