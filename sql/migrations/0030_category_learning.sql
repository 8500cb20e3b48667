-- Categories that learn (issue 20): labelled examples of customer messages, from the starting
-- corpus and from agents' corrections (set_conversation_category), and the classifier models
-- trained on them, each version with its evaluation on examples it never saw.

CREATE TABLE category_examples (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category         text        NOT NULL REFERENCES categories ON UPDATE CASCADE,
    -- ISO 639 code, or 'unknown': the evaluation is reported per language.
    language         text        NOT NULL DEFAULT 'unknown',
    text             text        NOT NULL CHECK (length(btrim(text)) > 0),
    -- 'corpus' (the starting examples) or 'agent' (a category an agent set or corrected).
    source           text        NOT NULL CHECK (source IN ('corpus', 'agent')),
    -- An agent's example follows its conversation: a later correction replaces it.
    conversation_id  bigint      UNIQUE REFERENCES conversations ON DELETE SET NULL,
    agent_id         bigint      REFERENCES agents ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX category_examples_category ON category_examples (category);

CREATE TABLE category_models (
    version          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trained_at       timestamptz NOT NULL DEFAULT now(),
    -- The model in Switchboard's envelope (fastText's model with a SHA-256 checksum).
    model            bytea       NOT NULL,
    examples         integer     NOT NULL,
    held_out         integer     NOT NULL,
    accuracy         double precision,
    -- Per language and per category: accuracy, precision, recall, confusion (categories evaluate).
    evaluation       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evaluation) = 'object'),
    training_seconds double precision NOT NULL
);
