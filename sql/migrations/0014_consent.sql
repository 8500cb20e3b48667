-- Consent: an append-only ledger of what each customer allowed or refused on each channel for
-- each purpose, the defaults where they said nothing, the SMS and WhatsApp keywords (STOP,
-- СТОП, 退订…) that opt out and back in, the confirmation each gets, and the purpose of every
-- outbox row. A row the customer's consent refuses is 'suppressed', with the reason. Functions
-- in sql/definitions/consent.sql; docs/notify.md says how to read and change it.

CREATE TABLE consent_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id     bigint      NOT NULL REFERENCES stores,
    customer_id  bigint      NOT NULL REFERENCES customers,
    channel      text        NOT NULL CONSTRAINT consent_events_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    purpose      text        NOT NULL CONSTRAINT consent_events_purpose_known
                             CHECK (purpose IN ('transactional', 'order_updates', 'marketing', 'surveys')),
    granted      boolean     NOT NULL,
    -- Where it came from: keyword (an SMS or WhatsApp STOP/START), unsubscribe_link, opt_in_link,
    -- checkout, admin, import…
    source       text        NOT NULL CONSTRAINT consent_events_source_format CHECK (source ~ '^[a-z][a-z0-9_]*$'),
    detail       text,
    inbound_id   bigint      REFERENCES inbound_messages,
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_latest ON consent_events (customer_id, channel, purpose, id DESC);

-- What a customer who said nothing allows, per purpose.
CREATE TABLE consent_defaults (
    purpose  text    PRIMARY KEY CONSTRAINT consent_defaults_purpose_known
                     CHECK (purpose IN ('transactional', 'order_updates', 'marketing', 'surveys')),
    granted  boolean NOT NULL
);
INSERT INTO consent_defaults (purpose, granted) VALUES
    ('transactional', true), ('order_updates', true), ('marketing', false), ('surveys', true);

-- An SMS or social message that is exactly one of these words (ignoring case, spaces and
-- punctuation around it) is a consent event, not a conversation.
CREATE TABLE consent_keywords (
    -- Lower case, as ingest lower-cases the text it matches.
    keyword   text PRIMARY KEY CONSTRAINT consent_keywords_keyword_trimmed CHECK (keyword <> '' AND keyword = btrim(keyword)),
    action    text NOT NULL CONSTRAINT consent_keywords_action_known CHECK (action IN ('opt_out', 'opt_in')),
    -- The language of the confirmation the customer gets.
    language  text NOT NULL CONSTRAINT consent_keywords_language_format CHECK (language ~ '^[a-z]{2,3}$')
);
INSERT INTO consent_keywords (keyword, action, language) VALUES
    -- The carriers' (CTIA) and Twilio's words.
    ('stop', 'opt_out', 'en'), ('stopall', 'opt_out', 'en'), ('unsubscribe', 'opt_out', 'en'), ('cancel', 'opt_out', 'en'),
    ('end', 'opt_out', 'en'), ('quit', 'opt_out', 'en'), ('revoke', 'opt_out', 'en'), ('optout', 'opt_out', 'en'),
    ('opt out', 'opt_out', 'en'), ('opt-out', 'opt_out', 'en'),
    ('start', 'opt_in', 'en'), ('unstop', 'opt_in', 'en'), ('yes', 'opt_in', 'en'),
    ('стоп', 'opt_out', 'uk'), ('відписатися', 'opt_out', 'uk'), ('відписка', 'opt_out', 'uk'),
    ('старт', 'opt_in', 'uk'), ('підписатися', 'opt_in', 'uk'),
    ('отписаться', 'opt_out', 'ru'), ('отписка', 'opt_out', 'ru'), ('подписаться', 'opt_in', 'ru'),
    ('rezygnuję', 'opt_out', 'pl'), ('rezygnuje', 'opt_out', 'pl'), ('wypisz', 'opt_out', 'pl'), ('wypisz mnie', 'opt_out', 'pl'),
    ('zapisz', 'opt_in', 'pl'),
    ('إلغاء', 'opt_out', 'ar'), ('الغاء', 'opt_out', 'ar'), ('توقف', 'opt_out', 'ar'), ('إيقاف', 'opt_out', 'ar'),
    ('اشتراك', 'opt_in', 'ar'),
    ('退订', 'opt_out', 'zh'), ('取消订阅', 'opt_out', 'zh'), ('td', 'opt_out', 'zh'), ('订阅', 'opt_in', 'zh');

-- What a keyword's sender is told, once, when it changed something; %s is the store's name.
CREATE TABLE consent_confirmations (
    language   text NOT NULL CONSTRAINT consent_confirmations_language_format CHECK (language ~ '^[a-z]{2,3}$'),
    action     text NOT NULL CONSTRAINT consent_confirmations_action_known CHECK (action IN ('opt_out', 'opt_in')),
    body_text  text NOT NULL CONSTRAINT consent_confirmations_names_store CHECK (body_text LIKE '%\%s%'),
    PRIMARY KEY (language, action)
);
INSERT INTO consent_confirmations (language, action, body_text) VALUES
    ('en', 'opt_out', '%s: you will get no more messages here. Reply START to get them again.'),
    ('en', 'opt_in',  '%s: you will get our messages here again. Reply STOP to stop them.'),
    ('uk', 'opt_out', '%s: ви більше не отримуватимете тут повідомлень. Напишіть СТАРТ, щоб поновити.'),
    ('uk', 'opt_in',  '%s: ви знову отримуватимете тут наші повідомлення. Напишіть СТОП, щоб припинити.'),
    ('ru', 'opt_out', '%s: вы больше не будете получать здесь сообщения. Напишите СТАРТ, чтобы возобновить.'),
    ('ru', 'opt_in',  '%s: вы снова будете получать здесь наши сообщения. Напишите СТОП, чтобы прекратить.'),
    ('pl', 'opt_out', '%s: nie będziesz już otrzymywać tu wiadomości. Odpisz START, aby je wznowić.'),
    ('pl', 'opt_in',  '%s: znów będziesz otrzymywać tu nasze wiadomości. Odpisz STOP, aby je wyłączyć.'),
    ('ar', 'opt_out', '%s: لن تصلك منا رسائل هنا بعد الآن. أرسل START لاستئنافها.'),
    ('ar', 'opt_in',  '%s: ستصلك رسائلنا هنا من جديد. أرسل STOP لإيقافها.'),
    ('zh', 'opt_out', '%s：您将不再在此收到我们的消息。回复 START 可恢复。'),
    ('zh', 'opt_in',  '%s：您将重新在此收到我们的消息。回复 STOP 可退订。');

ALTER TABLE inbound_messages
    DROP CONSTRAINT inbound_messages_status_valid,
    ADD CONSTRAINT inbound_messages_status_valid
        CHECK (status IN ('received', 'processed', 'duplicate', 'automated', 'rejected', 'consent'));

-- Why a row is sent: reply (an answer to the customer's own message: always allowed on the
-- channel they wrote from), transactional, order_updates, marketing, surveys (each under the
-- customer's consent), internal (to a colleague, not a customer). No default: whoever writes a
-- row says.
ALTER TABLE outbox ADD COLUMN purpose text;
UPDATE outbox SET purpose = CASE WHEN kind IN ('reply', 'auto_answer') THEN 'reply'
                                 WHEN customer_id IS NULL THEN 'internal' ELSE 'transactional' END;
ALTER TABLE outbox
    ALTER COLUMN purpose SET NOT NULL,
    ADD CONSTRAINT outbox_purpose_known
        CHECK (purpose IN ('reply', 'transactional', 'order_updates', 'marketing', 'surveys', 'internal')),
    DROP CONSTRAINT outbox_status_check,
    ADD CONSTRAINT outbox_status_known CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'suppressed'));

ALTER TABLE notify_events
    DROP CONSTRAINT notify_events_event_known,
    ADD CONSTRAINT notify_events_event_known CHECK (
        event IN ('sending', 'sent', 'retry', 'failed', 'deferred', 'failover', 'delivered', 'undelivered', 'read', 'suppressed'));
