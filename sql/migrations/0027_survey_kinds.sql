-- The other survey kinds: CES (1–7, "the shop made it easy to handle my issue") instead of CSAT
-- for chosen categories; the post-delivery follow-up (1–5) a day after an order is delivered;
-- and NPS (0–10) on a cadence, in place of the follow-up for a customer with enough delivered
-- orders. Their messages in six languages. Functions in sql/definitions/surveys.sql.

ALTER TABLE survey_settings
    -- Conversations of these categories get CES instead of CSAT when they are resolved.
    ADD COLUMN ces_categories        text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN post_delivery_enabled boolean  NOT NULL DEFAULT true,
    ADD COLUMN post_delivery_delay   interval NOT NULL DEFAULT '24 hours'
        CONSTRAINT survey_settings_post_delivery_delay_not_negative CHECK (post_delivery_delay >= '0'),
    ADD COLUMN nps_enabled           boolean  NOT NULL DEFAULT true,
    -- NPS goes to a customer whose delivered orders reach this many, at most once per nps_every.
    ADD COLUMN nps_min_delivered     integer  NOT NULL DEFAULT 2
        CONSTRAINT survey_settings_nps_min_delivered_positive CHECK (nps_min_delivered >= 1),
    ADD COLUMN nps_every             interval NOT NULL DEFAULT '90 days'
        CONSTRAINT survey_settings_nps_every_positive CHECK (nps_every > '0');

ALTER TABLE surveys ADD COLUMN order_id bigint REFERENCES orders;
-- One post-delivery or NPS survey per delivered order.
CREATE UNIQUE INDEX surveys_one_per_order ON surveys (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX surveys_customer_kind ON surveys (customer_id, kind, queued_at);

INSERT INTO notify_templates (kind, channel, locale, subject, body) VALUES
    ('survey_ces', 'email', 'en', 'Was it easy?',
     E'Hello{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\n"{{store.name}} made it easy to handle my issue." How much do you agree?\n{{#links.survey}}\n7 – strongly agree: {{links.survey.rate_7}}\n6 – agree: {{links.survey.rate_6}}\n5 – somewhat agree: {{links.survey.rate_5}}\n4 – neither: {{links.survey.rate_4}}\n3 – somewhat disagree: {{links.survey.rate_3}}\n2 – disagree: {{links.survey.rate_2}}\n1 – strongly disagree: {{links.survey.rate_1}}\n{{/links.survey}}\n\nThank you.\n\n{{store.name}}'),
    ('survey_ces', 'email', 'uk', 'Чи було це просто?',
     E'Вітаємо{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\n«{{store.name}} допомогли легко вирішити моє питання». Наскільки ви згодні?\n{{#links.survey}}\n7 — повністю згоден(-на): {{links.survey.rate_7}}\n6 — згоден(-на): {{links.survey.rate_6}}\n5 — радше згоден(-на): {{links.survey.rate_5}}\n4 — ні те ні те: {{links.survey.rate_4}}\n3 — радше не згоден(-на): {{links.survey.rate_3}}\n2 — не згоден(-на): {{links.survey.rate_2}}\n1 — зовсім не згоден(-на): {{links.survey.rate_1}}\n{{/links.survey}}\n\nДякуємо.\n\n{{store.name}}'),
    ('survey_ces', 'email', 'ru', 'Было ли это просто?',
     E'Здравствуйте{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\n«{{store.name}} помогли легко решить мой вопрос». Насколько вы согласны?\n{{#links.survey}}\n7 — полностью согласен(-на): {{links.survey.rate_7}}\n6 — согласен(-на): {{links.survey.rate_6}}\n5 — скорее согласен(-на): {{links.survey.rate_5}}\n4 — ни то ни другое: {{links.survey.rate_4}}\n3 — скорее не согласен(-на): {{links.survey.rate_3}}\n2 — не согласен(-на): {{links.survey.rate_2}}\n1 — совсем не согласен(-на): {{links.survey.rate_1}}\n{{/links.survey}}\n\nСпасибо.\n\n{{store.name}}'),
    ('survey_ces', 'email', 'pl', 'Czy było łatwo?',
     E'Dzień dobry{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\n„{{store.name}} ułatwili mi załatwienie sprawy”. Na ile się zgadzasz?\n{{#links.survey}}\n7 – zdecydowanie tak: {{links.survey.rate_7}}\n6 – tak: {{links.survey.rate_6}}\n5 – raczej tak: {{links.survey.rate_5}}\n4 – ani tak, ani nie: {{links.survey.rate_4}}\n3 – raczej nie: {{links.survey.rate_3}}\n2 – nie: {{links.survey.rate_2}}\n1 – zdecydowanie nie: {{links.survey.rate_1}}\n{{/links.survey}}\n\nDziękujemy.\n\n{{store.name}}'),
    ('survey_ces', 'email', 'ar', 'هل كان الأمر سهلًا؟',
     E'مرحبًا{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}}،\n\n«سهّل {{store.name}} حل مشكلتي». إلى أي حد توافق؟\n{{#links.survey}}\n7 – أوافق بشدة: {{links.survey.rate_7}}\n6 – أوافق: {{links.survey.rate_6}}\n5 – أوافق إلى حد ما: {{links.survey.rate_5}}\n4 – محايد: {{links.survey.rate_4}}\n3 – لا أوافق إلى حد ما: {{links.survey.rate_3}}\n2 – لا أوافق: {{links.survey.rate_2}}\n1 – لا أوافق بشدة: {{links.survey.rate_1}}\n{{/links.survey}}\n\nشكرًا لك.\n\n{{store.name}}'),
    ('survey_ces', 'email', 'zh', '处理过程是否轻松？',
     E'您好{{#customer.first_name}}，{{customer.first_name}}{{/customer.first_name}}！\n\n“{{store.name}} 让我轻松解决了问题。”您是否同意？\n{{#links.survey}}\n7 – 非常同意：{{links.survey.rate_7}}\n6 – 同意：{{links.survey.rate_6}}\n5 – 比较同意：{{links.survey.rate_5}}\n4 – 一般：{{links.survey.rate_4}}\n3 – 不太同意：{{links.survey.rate_3}}\n2 – 不同意：{{links.survey.rate_2}}\n1 – 非常不同意：{{links.survey.rate_1}}\n{{/links.survey}}\n\n谢谢。\n\n{{store.name}}'),
    ('survey_ces', NULL, 'en', NULL, E'{{store.name}}: did we make it easy to handle your issue? Reply from 1 (not at all) to 7 (very easy), or answer here: {{links.survey.url}}'),
    ('survey_ces', NULL, 'uk', NULL, E'{{store.name}}: чи легко було вирішити ваше питання? Відповідайте числом від 1 (зовсім ні) до 7 (дуже легко) або тут: {{links.survey.url}}'),
    ('survey_ces', NULL, 'ru', NULL, E'{{store.name}}: легко ли было решить ваш вопрос? Ответьте числом от 1 (совсем нет) до 7 (очень легко) или здесь: {{links.survey.url}}'),
    ('survey_ces', NULL, 'pl', NULL, E'{{store.name}}: czy łatwo było załatwić Twoją sprawę? Odpisz liczbą od 1 (wcale) do 7 (bardzo łatwo) albo odpowiedz tutaj: {{links.survey.url}}'),
    ('survey_ces', NULL, 'ar', NULL, E'{{store.name}}: هل كان حل مشكلتك سهلًا؟ أرسل رقمًا من 1 (إطلاقًا) إلى 7 (سهل جدًا)، أو أجب هنا: {{links.survey.url}}'),
    ('survey_ces', NULL, 'zh', NULL, E'{{store.name}}：您的问题处理起来轻松吗？请回复 1（完全不）到 7（非常轻松），或在此作答：{{links.survey.url}}'),

    ('survey_post_delivery', 'email', 'en', 'How is your order {{order.number}}?',
     E'Hello{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\nyour order {{order.number}} arrived yesterday. How did everything go?\n{{#links.survey}}\n5 – excellent: {{links.survey.rate_5}}\n4 – good: {{links.survey.rate_4}}\n3 – okay: {{links.survey.rate_3}}\n2 – poor: {{links.survey.rate_2}}\n1 – very poor: {{links.survey.rate_1}}\n{{/links.survey}}\n\nIf anything is not right, just reply to this message.\n\n{{store.name}}'),
    ('survey_post_delivery', 'email', 'uk', 'Як вам замовлення {{order.number}}?',
     E'Вітаємо{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nВаше замовлення {{order.number}} прибуло вчора. Як усе пройшло?\n{{#links.survey}}\n5 — чудово: {{links.survey.rate_5}}\n4 — добре: {{links.survey.rate_4}}\n3 — нормально: {{links.survey.rate_3}}\n2 — погано: {{links.survey.rate_2}}\n1 — дуже погано: {{links.survey.rate_1}}\n{{/links.survey}}\n\nЯкщо щось не так, просто дайте відповідь на цей лист.\n\n{{store.name}}'),
    ('survey_post_delivery', 'email', 'ru', 'Как вам заказ {{order.number}}?',
     E'Здравствуйте{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nВаш заказ {{order.number}} прибыл вчера. Как всё прошло?\n{{#links.survey}}\n5 — отлично: {{links.survey.rate_5}}\n4 — хорошо: {{links.survey.rate_4}}\n3 — нормально: {{links.survey.rate_3}}\n2 — плохо: {{links.survey.rate_2}}\n1 — очень плохо: {{links.survey.rate_1}}\n{{/links.survey}}\n\nЕсли что-то не так, просто ответьте на это письмо.\n\n{{store.name}}'),
    ('survey_post_delivery', 'email', 'pl', 'Jak zamówienie {{order.number}}?',
     E'Dzień dobry{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\nTwoje zamówienie {{order.number}} dotarło wczoraj. Jak wszystko poszło?\n{{#links.survey}}\n5 – świetnie: {{links.survey.rate_5}}\n4 – dobrze: {{links.survey.rate_4}}\n3 – w porządku: {{links.survey.rate_3}}\n2 – słabo: {{links.survey.rate_2}}\n1 – bardzo słabo: {{links.survey.rate_1}}\n{{/links.survey}}\n\nJeśli coś jest nie tak, po prostu odpisz na tę wiadomość.\n\n{{store.name}}'),
    ('survey_post_delivery', 'email', 'ar', 'كيف طلبك {{order.number}}؟',
     E'مرحبًا{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}}،\n\nوصل طلبك {{order.number}} أمس. كيف سار كل شيء؟\n{{#links.survey}}\n5 – ممتاز: {{links.survey.rate_5}}\n4 – جيد: {{links.survey.rate_4}}\n3 – مقبول: {{links.survey.rate_3}}\n2 – سيئ: {{links.survey.rate_2}}\n1 – سيئ جدًا: {{links.survey.rate_1}}\n{{/links.survey}}\n\nإن لم يكن شيء على ما يرام، فقط رُدّ على هذه الرسالة.\n\n{{store.name}}'),
    ('survey_post_delivery', 'email', 'zh', '您的订单 {{order.number}} 还满意吗？',
     E'您好{{#customer.first_name}}，{{customer.first_name}}{{/customer.first_name}}！\n\n您的订单 {{order.number}} 昨天已送达。一切顺利吗？\n{{#links.survey}}\n5 – 非常满意：{{links.survey.rate_5}}\n4 – 满意：{{links.survey.rate_4}}\n3 – 一般：{{links.survey.rate_3}}\n2 – 不满意：{{links.survey.rate_2}}\n1 – 非常不满意：{{links.survey.rate_1}}\n{{/links.survey}}\n\n如有任何问题，请直接回复此邮件。\n\n{{store.name}}'),
    ('survey_post_delivery', NULL, 'en', NULL, E'{{store.name}}: how did everything go with order {{order.number}}? Reply from 1 (very poor) to 5 (excellent), or rate it here: {{links.survey.url}}'),
    ('survey_post_delivery', NULL, 'uk', NULL, E'{{store.name}}: як усе пройшло із замовленням {{order.number}}? Відповідайте числом від 1 (дуже погано) до 5 (чудово) або оцініть тут: {{links.survey.url}}'),
    ('survey_post_delivery', NULL, 'ru', NULL, E'{{store.name}}: как всё прошло с заказом {{order.number}}? Ответьте числом от 1 (очень плохо) до 5 (отлично) или оцените здесь: {{links.survey.url}}'),
    ('survey_post_delivery', NULL, 'pl', NULL, E'{{store.name}}: jak poszło z zamówieniem {{order.number}}? Odpisz liczbą od 1 (bardzo słabo) do 5 (świetnie) albo oceń tutaj: {{links.survey.url}}'),
    ('survey_post_delivery', NULL, 'ar', NULL, E'{{store.name}}: كيف سار طلبك {{order.number}}؟ أرسل رقمًا من 1 (سيئ جدًا) إلى 5 (ممتاز)، أو قيّمه هنا: {{links.survey.url}}'),
    ('survey_post_delivery', NULL, 'zh', NULL, E'{{store.name}}：订单 {{order.number}} 一切顺利吗？请回复 1（非常不满意）到 5（非常满意），或在此评分：{{links.survey.url}}'),

    ('survey_nps', 'email', 'en', 'Would you recommend {{store.name}}?',
     E'Hello{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\nhow likely are you to recommend {{store.name}} to a friend? 0 is not at all, 10 extremely likely:\n{{#links.survey}}\n10: {{links.survey.rate_10}}\n9: {{links.survey.rate_9}}\n8: {{links.survey.rate_8}}\n7: {{links.survey.rate_7}}\n6: {{links.survey.rate_6}}\n5: {{links.survey.rate_5}}\n4: {{links.survey.rate_4}}\n3: {{links.survey.rate_3}}\n2: {{links.survey.rate_2}}\n1: {{links.survey.rate_1}}\n0: {{links.survey.rate_0}}\n{{/links.survey}}\n\nThank you.\n\n{{store.name}}'),
    ('survey_nps', 'email', 'uk', 'Чи порадили б ви {{store.name}}?',
     E'Вітаємо{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nНаскільки ймовірно, що ви порадите {{store.name}} другові? 0 — зовсім ні, 10 — дуже ймовірно:\n{{#links.survey}}\n10: {{links.survey.rate_10}}\n9: {{links.survey.rate_9}}\n8: {{links.survey.rate_8}}\n7: {{links.survey.rate_7}}\n6: {{links.survey.rate_6}}\n5: {{links.survey.rate_5}}\n4: {{links.survey.rate_4}}\n3: {{links.survey.rate_3}}\n2: {{links.survey.rate_2}}\n1: {{links.survey.rate_1}}\n0: {{links.survey.rate_0}}\n{{/links.survey}}\n\nДякуємо.\n\n{{store.name}}'),
    ('survey_nps', 'email', 'ru', 'Порекомендуете ли вы {{store.name}}?',
     E'Здравствуйте{{#customer.first_name}}, {{customer.first_name}}{{/customer.first_name}}!\n\nНасколько вероятно, что вы порекомендуете {{store.name}} другу? 0 — совсем нет, 10 — очень вероятно:\n{{#links.survey}}\n10: {{links.survey.rate_10}}\n9: {{links.survey.rate_9}}\n8: {{links.survey.rate_8}}\n7: {{links.survey.rate_7}}\n6: {{links.survey.rate_6}}\n5: {{links.survey.rate_5}}\n4: {{links.survey.rate_4}}\n3: {{links.survey.rate_3}}\n2: {{links.survey.rate_2}}\n1: {{links.survey.rate_1}}\n0: {{links.survey.rate_0}}\n{{/links.survey}}\n\nСпасибо.\n\n{{store.name}}'),
    ('survey_nps', 'email', 'pl', 'Czy polecisz {{store.name}}?',
     E'Dzień dobry{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}},\n\njak bardzo prawdopodobne jest, że polecisz {{store.name}} znajomym? 0 – wcale, 10 – bardzo:\n{{#links.survey}}\n10: {{links.survey.rate_10}}\n9: {{links.survey.rate_9}}\n8: {{links.survey.rate_8}}\n7: {{links.survey.rate_7}}\n6: {{links.survey.rate_6}}\n5: {{links.survey.rate_5}}\n4: {{links.survey.rate_4}}\n3: {{links.survey.rate_3}}\n2: {{links.survey.rate_2}}\n1: {{links.survey.rate_1}}\n0: {{links.survey.rate_0}}\n{{/links.survey}}\n\nDziękujemy.\n\n{{store.name}}'),
    ('survey_nps', 'email', 'ar', 'هل تنصح بـ {{store.name}}؟',
     E'مرحبًا{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}}،\n\nما مدى احتمال أن تنصح صديقًا بـ {{store.name}}؟ 0 تعني إطلاقًا، و10 محتمل جدًا:\n{{#links.survey}}\n10: {{links.survey.rate_10}}\n9: {{links.survey.rate_9}}\n8: {{links.survey.rate_8}}\n7: {{links.survey.rate_7}}\n6: {{links.survey.rate_6}}\n5: {{links.survey.rate_5}}\n4: {{links.survey.rate_4}}\n3: {{links.survey.rate_3}}\n2: {{links.survey.rate_2}}\n1: {{links.survey.rate_1}}\n0: {{links.survey.rate_0}}\n{{/links.survey}}\n\nشكرًا لك.\n\n{{store.name}}'),
    ('survey_nps', 'email', 'zh', '您会推荐 {{store.name}} 吗？',
     E'您好{{#customer.first_name}}，{{customer.first_name}}{{/customer.first_name}}！\n\n您向朋友推荐 {{store.name}} 的可能性有多大？0 表示完全不会，10 表示非常可能：\n{{#links.survey}}\n10：{{links.survey.rate_10}}\n9：{{links.survey.rate_9}}\n8：{{links.survey.rate_8}}\n7：{{links.survey.rate_7}}\n6：{{links.survey.rate_6}}\n5：{{links.survey.rate_5}}\n4：{{links.survey.rate_4}}\n3：{{links.survey.rate_3}}\n2：{{links.survey.rate_2}}\n1：{{links.survey.rate_1}}\n0：{{links.survey.rate_0}}\n{{/links.survey}}\n\n谢谢。\n\n{{store.name}}'),
    ('survey_nps', NULL, 'en', NULL, E'{{store.name}}: how likely are you to recommend us to a friend? Reply from 0 (not at all) to 10 (extremely likely), or answer here: {{links.survey.url}}'),
    ('survey_nps', NULL, 'uk', NULL, E'{{store.name}}: наскільки ймовірно, що ви порадите нас другові? Відповідайте числом від 0 (зовсім ні) до 10 (дуже ймовірно) або тут: {{links.survey.url}}'),
    ('survey_nps', NULL, 'ru', NULL, E'{{store.name}}: насколько вероятно, что вы порекомендуете нас другу? Ответьте числом от 0 (совсем нет) до 10 (очень вероятно) или здесь: {{links.survey.url}}'),
    ('survey_nps', NULL, 'pl', NULL, E'{{store.name}}: jak bardzo prawdopodobne jest, że polecisz nas znajomym? Odpisz liczbą od 0 (wcale) do 10 (bardzo) albo odpowiedz tutaj: {{links.survey.url}}'),
    ('survey_nps', NULL, 'ar', NULL, E'{{store.name}}: ما مدى احتمال أن تنصح صديقًا بنا؟ أرسل رقمًا من 0 (إطلاقًا) إلى 10 (محتمل جدًا)، أو أجب هنا: {{links.survey.url}}'),
    ('survey_nps', NULL, 'zh', NULL, E'{{store.name}}：您向朋友推荐我们的可能性有多大？请回复 0（完全不会）到 10（非常可能），或在此作答：{{links.survey.url}}');
