-- HTTP providers for the notification worker (a signed JSON webhook for any channel, a
-- Twilio-style SMS API), a rate limit and a circuit breaker per provider, failover between a
-- channel's providers, and delivery receipts. Functions in sql/definitions/notify.sql.

ALTER TABLE notify_providers
    DROP CONSTRAINT notify_providers_kind_check,
    DROP CONSTRAINT notify_providers_endpoint,
    DROP CONSTRAINT notify_providers_auth,
    -- Sends per second through this provider, across every worker process; null: no limit.
    ADD COLUMN rate_limit numeric CONSTRAINT notify_providers_rate_limit_positive CHECK (rate_limit > 0),
    -- smtp: an SMTP relay (email only). webhook: a signed JSON POST (any channel). twilio: the
    -- Twilio Messages API's form POST (sms only).
    ADD CONSTRAINT notify_providers_kind_known CHECK (kind IN ('smtp', 'webhook', 'twilio')),
    ADD CONSTRAINT notify_providers_smtp_sends_email CHECK (kind <> 'smtp' OR channel = 'email'),
    ADD CONSTRAINT notify_providers_twilio_sends_sms CHECK (kind <> 'twilio' OR channel = 'sms'),
    ADD CONSTRAINT notify_providers_smtp_endpoint CHECK (
        kind <> 'smtp' OR endpoint ~ '^(smtp|smtps|smtp\+plain)://[^/:]+(:[0-9]{1,5})?$'),
    ADD CONSTRAINT notify_providers_http_endpoint CHECK (kind = 'smtp' OR endpoint ~ '^https?://[^/\s:]+(:[0-9]{1,5})?(/\S*)?$'),
    -- An SMTP relay may be open (no AUTH); AUTH needs both the user and the password.
    ADD CONSTRAINT notify_providers_smtp_auth_pair CHECK (kind <> 'smtp' OR (username IS NULL) = (secret_ref IS NULL)),
    -- Every webhook request is signed with the secret.
    ADD CONSTRAINT notify_providers_webhook_needs_secret CHECK (kind <> 'webhook' OR (secret_ref IS NOT NULL AND username IS NULL)),
    -- username: the account SID; the secret: its auth token.
    ADD CONSTRAINT notify_providers_twilio_needs_account CHECK (kind <> 'twilio' OR (username IS NOT NULL AND secret_ref IS NOT NULL));

-- Each provider's health and rate window, shared by every worker process. A row appears with the
-- provider's first failure or rate-limited send.
CREATE TABLE notify_provider_health (
    provider_id           bigint      PRIMARY KEY REFERENCES notify_providers ON DELETE CASCADE,
    -- Transient failures in a row; the circuit opens at notify_settings.circuit_failures.
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    -- While in the future the provider is skipped: its channel's other providers send, or the rows wait.
    open_until            timestamptz,
    last_failure          text,
    last_failure_at       timestamptz,
    window_start          timestamptz NOT NULL DEFAULT '-infinity',
    window_sends          integer     NOT NULL DEFAULT 0
);

ALTER TABLE notify_settings
    ADD COLUMN circuit_failures integer  NOT NULL DEFAULT 5 CHECK (circuit_failures > 0),
    ADD COLUMN circuit_cooldown interval NOT NULL DEFAULT '30 seconds' CHECK (circuit_cooldown > '0'),
    -- How long a row waits when no enabled provider serves its channel.
    ADD COLUMN no_provider_wait interval NOT NULL DEFAULT '5 minutes' CHECK (no_provider_wait > '0');

ALTER TABLE outbox
    -- What the provider's receipts said last: delivered, undelivered, read.
    ADD COLUMN delivery_status    text CHECK (delivery_status IN ('delivered', 'undelivered', 'read')),
    ADD COLUMN delivery_status_at timestamptz;
CREATE INDEX outbox_provider_message ON outbox (provider_id, provider_message_id) WHERE provider_message_id IS NOT NULL;

ALTER TABLE notify_events
    DROP CONSTRAINT notify_events_event_check,
    ADD CONSTRAINT notify_events_event_known CHECK (
        event IN ('sending', 'sent', 'retry', 'failed', 'deferred', 'failover', 'delivered', 'undelivered', 'read'));

-- Their result types change: notify_begin gains columns, notify_retry returns when the row goes next.
DROP FUNCTION IF EXISTS notify_begin(bigint);
DROP FUNCTION IF EXISTS notify_retry(bigint, text, timestamptz);
