-- An SMS or chat reply that is only a rating ("5", "4/5", "٥", "５") answers the customer's open
-- survey on that channel instead of becoming a message: kept with status survey_answer, and the
-- survey names the inbound row that answered it. Functions in sql/definitions/surveys.sql.

ALTER TABLE inbound_messages
    DROP CONSTRAINT inbound_messages_status_valid,
    ADD CONSTRAINT inbound_messages_status_valid
        CHECK (status IN ('received', 'processed', 'duplicate', 'automated', 'rejected', 'consent', 'survey_answer'));
ALTER TABLE surveys ADD COLUMN answer_inbound_id bigint REFERENCES inbound_messages;

-- The short survey message (SMS, chat, social) now says a reply answers it. Only the default
-- templates still as 0025 wrote them change; an edited one is left as its admin wrote it.
UPDATE notify_templates t SET body = n.body, updated_at = now()
  FROM (VALUES
    ('en', E'{{store.name}}: how did we do? Rate us from 1 to 5: {{links.survey.url}}',
           E'{{store.name}}: how did we do? Reply with a number from 1 (very poor) to 5 (excellent), or rate us here: {{links.survey.url}}'),
    ('uk', E'{{store.name}}: як ми впоралися? Оцініть нас від 1 до 5: {{links.survey.url}}',
           E'{{store.name}}: як ми впоралися? Надішліть у відповідь число від 1 (дуже погано) до 5 (чудово) або оцініть тут: {{links.survey.url}}'),
    ('ru', E'{{store.name}}: как мы справились? Оцените нас от 1 до 5: {{links.survey.url}}',
           E'{{store.name}}: как мы справились? Ответьте числом от 1 (очень плохо) до 5 (отлично) или оцените здесь: {{links.survey.url}}'),
    ('pl', E'{{store.name}}: jak nam poszło? Oceń nas od 1 do 5: {{links.survey.url}}',
           E'{{store.name}}: jak nam poszło? Odpisz liczbą od 1 (bardzo słabo) do 5 (świetnie) albo oceń nas tutaj: {{links.survey.url}}'),
    ('ar', E'{{store.name}}: كيف كانت خدمتنا؟ قيّمنا من 1 إلى 5: {{links.survey.url}}',
           E'{{store.name}}: كيف كانت خدمتنا؟ أرسل رقمًا من 1 (سيئ جدًا) إلى 5 (ممتاز)، أو قيّمنا هنا: {{links.survey.url}}'),
    ('zh', E'{{store.name}}：您对我们的服务满意吗？请打 1 到 5 分：{{links.survey.url}}',
           E'{{store.name}}：您对我们的服务满意吗？请回复 1（非常不满意）到 5（非常满意）的数字，或在此评分：{{links.survey.url}}')
  ) AS n(locale, old_body, body)
 WHERE t.store_id IS NULL AND t.kind = 'survey_csat' AND t.channel IS NULL AND t.locale = n.locale AND t.body = n.old_body;
