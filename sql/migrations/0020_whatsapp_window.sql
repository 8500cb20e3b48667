-- WhatsApp's 24-hour service window: outside it, only a template the provider approved may go
-- (its name on notify_templates.provider_template), else the notice moves on to the next of
-- its channels (outbox.fallback_channels) or, with none left, is suppressed saying why.

ALTER TABLE notify_templates
    ADD COLUMN provider_template text CONSTRAINT notify_templates_provider_template_given CHECK (provider_template <> '');

ALTER TABLE outbox
    -- Where a row may go when its channel cannot take it: the rest of its rule's channels, in order.
    ADD COLUMN fallback_channels text[] NOT NULL DEFAULT '{}'
        CONSTRAINT outbox_fallback_channels_known CHECK (fallback_channels <@ ARRAY['email', 'sms', 'chat', 'social']);

ALTER TABLE notify_settings
    ADD COLUMN whatsapp_window interval NOT NULL DEFAULT '24 hours' CONSTRAINT notify_settings_whatsapp_window_positive CHECK (whatsapp_window > '0');

-- notify_begin gains the approved template's name.
DROP FUNCTION IF EXISTS notify_begin(bigint);
-- notify_hold now also takes the recipient's platform.
DROP FUNCTION IF EXISTS notify_hold(outbox, text);
