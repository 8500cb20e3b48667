-- Surveys: CSAT after a resolution (CES, NPS and the post-delivery follow-up join later), each a
-- row that says what became of it — queued for the notification worker, skipped and why,
-- superseded by a reopening, answered. Settings per store in SQL. Functions in
-- sql/definitions/surveys.sql; see docs/surveys.md.

-- What surveys go out and when. The row without a store is every store's; a store's own row wins.
CREATE TABLE survey_settings (
    id              bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id        bigint   REFERENCES stores ON DELETE CASCADE,
    -- CSAT (1–5) after a conversation is resolved, this long after.
    csat_enabled    boolean  NOT NULL DEFAULT true,
    csat_delay      interval NOT NULL DEFAULT '1 hour' CONSTRAINT survey_settings_csat_delay_not_negative CHECK (csat_delay >= '0'),
    -- Also after conversations the bot resolved without an agent.
    csat_after_bot  boolean  NOT NULL DEFAULT false,
    -- The share of eligible surveys sent, 0–100 (the same surveys whatever the retries).
    sample_percent  numeric  NOT NULL DEFAULT 100 CONSTRAINT survey_settings_sample_percent_range CHECK (sample_percent BETWEEN 0 AND 100),
    -- A survey's link answers until this long after it was sent.
    expires_after   interval NOT NULL DEFAULT '14 days' CONSTRAINT survey_settings_expires_after_positive CHECK (expires_after > '0'),
    -- At most one survey per customer within this (of any kind); notifications and surveys also
    -- share the contact budget of notify_caps.
    min_gap         interval NOT NULL DEFAULT '30 days' CONSTRAINT survey_settings_min_gap_not_negative CHECK (min_gap >= '0'),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX survey_settings_one_per_store ON survey_settings (coalesce(store_id, 0));
INSERT INTO survey_settings DEFAULT VALUES;

CREATE TABLE surveys (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id         bigint      NOT NULL REFERENCES stores,
    customer_id      bigint      NOT NULL REFERENCES customers,
    conversation_id  bigint      REFERENCES conversations,
    kind             text        NOT NULL CONSTRAINT surveys_kind_known CHECK (kind IN ('csat', 'ces', 'nps', 'post_delivery')),
    -- Which resolution of the conversation it follows: its reopen_count then.
    episode          integer     NOT NULL DEFAULT 0,
    -- scheduled → queued (an outbox row written) → answered; or skipped / superseded, with a reason.
    status           text        NOT NULL DEFAULT 'scheduled'
                                 CONSTRAINT surveys_status_known CHECK (status IN ('scheduled', 'queued', 'answered', 'skipped', 'superseded')),
    reason           text,
    due_at           timestamptz NOT NULL,
    outbox_id        bigint      REFERENCES outbox,
    queued_at        timestamptz,
    -- sha256 of the link's token; the token itself is only in the message sent.
    token_hash       bytea       UNIQUE,
    expires_at       timestamptz,
    rating           smallint,
    comment          text        CONSTRAINT surveys_comment_length CHECK (length(comment) <= 2000),
    answered_at      timestamptz,
    answer_source    text        CONSTRAINT surveys_answer_source_known CHECK (answer_source IN ('link', 'reply')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT surveys_rating_range CHECK (rating IS NULL OR (kind = 'csat' AND rating BETWEEN 1 AND 5)
                                           OR (kind = 'ces' AND rating BETWEEN 1 AND 7) OR (kind = 'nps' AND rating BETWEEN 0 AND 10)
                                           OR (kind = 'post_delivery' AND rating BETWEEN 1 AND 5)),
    CONSTRAINT surveys_answered_has_rating CHECK ((status = 'answered') = (rating IS NOT NULL)),
    CONSTRAINT surveys_not_sent_says_why CHECK (status NOT IN ('skipped', 'superseded') OR reason IS NOT NULL)
);
-- One survey of a kind per resolution episode.
CREATE UNIQUE INDEX surveys_one_per_episode ON surveys (conversation_id, kind, episode) WHERE conversation_id IS NOT NULL;
-- The throttle: a customer's latest surveys.
CREATE INDEX surveys_customer ON surveys (customer_id, queued_at);
CREATE INDEX surveys_outbox ON surveys (outbox_id) WHERE outbox_id IS NOT NULL;

-- The CSAT message: by email with a link per rating, elsewhere one link to the page.
INSERT INTO notify_templates (kind, channel, locale, subject, body) VALUES
    ('survey_csat', 'email', 'en', 'How did we do?',
     E'Hello{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\nhow did we do with your request? One tap to rate us:\n{{#links.survey}}\n5 – excellent: {{links.survey.rate_5}}\n4 – good: {{links.survey.rate_4}}\n3 – okay: {{links.survey.rate_3}}\n2 – poor: {{links.survey.rate_2}}\n1 – very poor: {{links.survey.rate_1}}\n{{/links.survey}}\n\nThank you — it helps us do better.\n\n{{store.name}}'),
    ('survey_csat', 'email', 'uk', 'Як ми впоралися?',
     E'Вітаємо{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nЯк ми впоралися з вашим зверненням? Оцініть одним дотиком:\n{{#links.survey}}\n5 — чудово: {{links.survey.rate_5}}\n4 — добре: {{links.survey.rate_4}}\n3 — нормально: {{links.survey.rate_3}}\n2 — погано: {{links.survey.rate_2}}\n1 — дуже погано: {{links.survey.rate_1}}\n{{/links.survey}}\n\nДякуємо — це допомагає нам ставати кращими.\n\n{{store.name}}'),
    ('survey_csat', 'email', 'ru', 'Как мы справились?',
     E'Здравствуйте{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nКак мы справились с вашим обращением? Оцените одним нажатием:\n{{#links.survey}}\n5 — отлично: {{links.survey.rate_5}}\n4 — хорошо: {{links.survey.rate_4}}\n3 — нормально: {{links.survey.rate_3}}\n2 — плохо: {{links.survey.rate_2}}\n1 — очень плохо: {{links.survey.rate_1}}\n{{/links.survey}}\n\nСпасибо — это помогает нам становиться лучше.\n\n{{store.name}}'),
    ('survey_csat', 'email', 'pl', 'Jak nam poszło?',
     E'Dzień dobry{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\njak poradziliśmy sobie z Twoją sprawą? Oceń nas jednym kliknięciem:\n{{#links.survey}}\n5 – świetnie: {{links.survey.rate_5}}\n4 – dobrze: {{links.survey.rate_4}}\n3 – w porządku: {{links.survey.rate_3}}\n2 – słabo: {{links.survey.rate_2}}\n1 – bardzo słabo: {{links.survey.rate_1}}\n{{/links.survey}}\n\nDziękujemy — to pomaga nam działać lepiej.\n\n{{store.name}}'),
    ('survey_csat', 'email', 'ar', 'كيف كانت خدمتنا؟',
     E'مرحبًا{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}}،\n\nكيف كانت خدمتنا في طلبك؟ قيّمنا بنقرة واحدة:\n{{#links.survey}}\n5 – ممتاز: {{links.survey.rate_5}}\n4 – جيد: {{links.survey.rate_4}}\n3 – مقبول: {{links.survey.rate_3}}\n2 – سيئ: {{links.survey.rate_2}}\n1 – سيئ جدًا: {{links.survey.rate_1}}\n{{/links.survey}}\n\nشكرًا لك — هذا يساعدنا على التحسن.\n\n{{store.name}}'),
    ('survey_csat', 'email', 'zh', '您对我们的服务满意吗？',
     E'您好{{#customer.first_name}}，{{customer.first_name}}{{/customer.first_name}}！\n\n我们对您的问题处理得如何？一键评分：\n{{#links.survey}}\n5 – 非常满意：{{links.survey.rate_5}}\n4 – 满意：{{links.survey.rate_4}}\n3 – 一般：{{links.survey.rate_3}}\n2 – 不满意：{{links.survey.rate_2}}\n1 – 非常不满意：{{links.survey.rate_1}}\n{{/links.survey}}\n\n谢谢！这能帮助我们做得更好。\n\n{{store.name}}'),
    ('survey_csat', NULL, 'en', NULL, E'{{store.name}}: how did we do? Rate us from 1 to 5: {{links.survey.url}}'),
    ('survey_csat', NULL, 'uk', NULL, E'{{store.name}}: як ми впоралися? Оцініть нас від 1 до 5: {{links.survey.url}}'),
    ('survey_csat', NULL, 'ru', NULL, E'{{store.name}}: как мы справились? Оцените нас от 1 до 5: {{links.survey.url}}'),
    ('survey_csat', NULL, 'pl', NULL, E'{{store.name}}: jak nam poszło? Oceń nas od 1 do 5: {{links.survey.url}}'),
    ('survey_csat', NULL, 'ar', NULL, E'{{store.name}}: كيف كانت خدمتنا؟ قيّمنا من 1 إلى 5: {{links.survey.url}}'),
    ('survey_csat', NULL, 'zh', NULL, E'{{store.name}}：您对我们的服务满意吗？请打 1 到 5 分：{{links.survey.url}}');
