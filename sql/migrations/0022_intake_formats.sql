-- Integrations that speak a platform's own format (docs/integrations.md, "A shop or an SMS
-- provider without code"): Shopify's order webhooks, Twilio's inbound messages.

ALTER TABLE intake_integrations
    -- switchboard: Switchboard-signed requests; shopify: Shopify webhooks (the secret is the app's
    -- client secret); twilio: Twilio's inbound SMS and WhatsApp webhooks (the secret is the auth token).
    ADD COLUMN format text NOT NULL DEFAULT 'switchboard'
        CONSTRAINT intake_integrations_format_known CHECK (format IN ('switchboard', 'shopify', 'twilio')),
    -- Twilio signs the URL it calls: the webhook URL exactly as configured there, when a proxy
    -- in front of serve changes scheme, host or port; null rebuilds it from the request.
    ADD COLUMN signed_url text
        CONSTRAINT intake_integrations_signed_url_format CHECK (signed_url ~ '^https?://\S+$');
