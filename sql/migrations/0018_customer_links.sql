-- Customer links: one-click unsubscribe (RFC 8058) and SMS opt-in, each a random token (244
-- bits, from two random UUIDs) of which only the SHA-256 is kept; and the signed Reply-To
-- address that threads a customer's answer even when their mail client drops the headers.
-- Functions in sql/definitions/customer_links.sql.

CREATE TABLE customer_links (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sha256 of the token; the token itself is only ever in the message sent.
    token_hash   bytea       NOT NULL UNIQUE,
    store_id     bigint      NOT NULL REFERENCES stores,
    customer_id  bigint      NOT NULL REFERENCES customers,
    action       text        NOT NULL CONSTRAINT customer_links_action_known CHECK (action IN ('unsubscribe', 'sms_opt_in')),
    -- What using it changes: these purposes on this channel.
    channel      text        NOT NULL CONSTRAINT customer_links_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    purposes     text[]      NOT NULL,
    outbox_id    bigint      REFERENCES outbox ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX customer_links_expiry ON customer_links (expires_at);

ALTER TABLE notify_settings
    -- Where `switchboard serve` answers customers (https://help.shop.example): links are made
    -- only when it is set. One-click unsubscribe needs https.
    ADD COLUMN public_base_url text CONSTRAINT notify_settings_public_base_url_format CHECK (public_base_url ~ '^https?://[^/\s]+(/\S*[^/])?$'),
    ADD COLUMN link_lifetime interval NOT NULL DEFAULT '60 days' CONSTRAINT notify_settings_link_lifetime_positive CHECK (link_lifetime > '0'),
    -- Keys the Reply-To addresses' signatures (help+c42.5f0e9a1c3b@shop.example); made here, never sent.
    ADD COLUMN reply_token_key bytea NOT NULL DEFAULT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));

-- notify_begin gains the link and Reply-To columns.
DROP FUNCTION IF EXISTS notify_begin(bigint);
