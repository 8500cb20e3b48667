-- The notification worker (docs/notify.md): providers, the record of every send, the outbox's
-- send bookkeeping, and a notify job for every outbox row still waiting. Its functions and the
-- trigger that enqueues jobs are in sql/definitions/notify.sql.

-- Where messages of a channel leave from. Email: an SMTP relay; the password is never stored,
-- only where to read it (secret_ref: env:NAME or file:/path).
CREATE TABLE notify_providers (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    kind        text        NOT NULL CHECK (kind IN ('smtp')),
    -- smtp://host:port (STARTTLS required), smtps://host:port (TLS), smtp+plain://host:port
    -- (no TLS: loopback relays and tests only).
    endpoint    text        NOT NULL,
    username    text,
    secret_ref  text,
    -- Lower is tried first.
    priority    integer     NOT NULL DEFAULT 100,
    enabled     boolean     NOT NULL DEFAULT true,
    -- connect_timeout_ms, timeout_ms, helo
    settings    jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notify_providers_endpoint CHECK (kind <> 'smtp' OR endpoint ~ '^(smtp|smtps|smtp\+plain)://[^/:]+(:[0-9]{1,5})?$'),
    CONSTRAINT notify_providers_secret_ref CHECK (secret_ref ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$'),
    CONSTRAINT notify_providers_auth CHECK ((username IS NULL) = (secret_ref IS NULL)),
    CONSTRAINT notify_providers_settings CHECK (jsonb_typeof(settings) = 'object')
);

-- How the worker sends: how long a message may keep failing transiently before it fails.
CREATE TABLE notify_settings (
    singleton       boolean  PRIMARY KEY DEFAULT true CHECK (singleton),
    retry_deadline  interval NOT NULL DEFAULT '24 hours' CHECK (retry_deadline > '0'),
    -- Bot and system mail comes from this address when the store has no support_email.
    fallback_from   text     NOT NULL DEFAULT 'support@switchboard.invalid'
);
INSERT INTO notify_settings DEFAULT VALUES;

ALTER TABLE outbox
    ADD COLUMN provider_id         bigint REFERENCES notify_providers,
    ADD COLUMN provider_message_id text,
    -- The Message-ID (without brackets) every attempt of an email uses, so a retry after a crash
    -- is recognisably the same message.
    ADD COLUMN email_message_id    text,
    ADD COLUMN sending_at          timestamptz;

-- Every step of every outbox row: what was tried, when, through which provider, and why it
-- ended as it did.
CREATE TABLE notify_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id    bigint      NOT NULL REFERENCES outbox ON DELETE CASCADE,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    event        text        NOT NULL CHECK (event IN ('sending', 'sent', 'retry', 'failed', 'deferred')),
    provider_id  bigint      REFERENCES notify_providers,
    attempt      integer,
    detail       text
);
CREATE INDEX notify_events_outbox ON notify_events (outbox_id, id);

-- The bot's answers were stored with their Message-ID in brackets, which ingest's threading
-- (ids without brackets, as GMime reads them) never matched.
UPDATE messages SET email_message_id = btrim(email_message_id, '<>')
 WHERE direction = 'outbound' AND email_message_id LIKE '<%>';

-- Rows written before this worker existed.
INSERT INTO jobs (queue, kind, args, run_at, state, unique_key)
SELECT 'notify', 'notify', jsonb_build_object('outbox_id', id), send_after,
       CASE WHEN send_after > now() THEN 'scheduled' ELSE 'available' END, 'notify:' || id
  FROM outbox WHERE status IN ('pending', 'sending') ORDER BY id;
