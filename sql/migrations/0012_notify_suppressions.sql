-- Addresses a provider refused for good (an unknown or disabled mailbox), per store and channel:
-- nothing is sent to them again until an admin deletes the row (docs/notify.md). notify_begin
-- gains a column saying so, and a function's result columns cannot be changed in place.
CREATE TABLE notify_suppressions (
    store_id    bigint      NOT NULL REFERENCES stores,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    address     text        NOT NULL CHECK (address <> ''),
    reason      text        NOT NULL,
    outbox_id   bigint      REFERENCES outbox ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, channel, address)
);

DROP FUNCTION IF EXISTS notify_begin(bigint);
