-- HTTP intake (`switchboard serve`, docs/integrations.md "Over HTTP"): the integrations allowed
-- to post, with where their signing secrets are read from (never the secrets), and what lets a
-- repeated delivery be answered with the row it already made.

CREATE TABLE intake_integrations (
    -- Sent by the integration in the Switchboard-Integration header.
    name            text        PRIMARY KEY
        CONSTRAINT intake_integrations_name_format CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    -- The store code its rows belong to; null means the default store.
    store           text,
    -- One secret, or two while it is rotated (both verify): env:NAME or file:/path each.
    secret_refs     text[]      NOT NULL
        CONSTRAINT intake_integrations_one_or_two_secrets CHECK (cardinality(secret_refs) BETWEEN 1 AND 2)
        CONSTRAINT intake_integrations_secret_ref_format CHECK (
            array_to_string(secret_refs, ' ') ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/[^ ]+)( (env:[A-Za-z_][A-Za-z0-9_]*|file:/[^ ]+))?$'),
    -- Requests a second at most (a token bucket of `burst` requests, refilled at this rate;
    -- fractions allowed: 0.5 is one request every two seconds).
    rate_per_second numeric     NOT NULL DEFAULT 200
        CONSTRAINT intake_integrations_rate_positive CHECK (rate_per_second > 0),
    burst           integer     NOT NULL DEFAULT 400
        CONSTRAINT intake_integrations_burst_positive CHECK (burst > 0),
    enabled         boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A repeated delivery of a message (same store, channel and provider id) is answered with the
-- row it made the first time.
CREATE INDEX inbound_messages_external ON inbound_messages (channel, external_id) WHERE external_id IS NOT NULL;

-- The shop's id for an event (a webhook id), so its repeated delivery makes no second row.
ALTER TABLE order_events ADD COLUMN external_id text
    CONSTRAINT order_events_external_id_given CHECK (external_id <> '');
CREATE INDEX order_events_external ON order_events (external_id) WHERE external_id IS NOT NULL;
