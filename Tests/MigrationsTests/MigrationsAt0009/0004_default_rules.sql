-- Starting rules and texts for ingest in English, Ukrainian, Russian, Polish, Arabic and Chinese.
-- They are ordinary rows: admins edit, disable or add to them with SQL (docs/ingest.md).
--
-- Patterns are matched against the message's subject and text lower-cased by the worker, so
-- they are written in lower case. \m and \M (word boundaries) are used for Latin scripts only:
-- whether PostgreSQL treats Cyrillic, Arabic or Chinese letters as word characters depends on the
-- database's locale.

INSERT INTO category_rules (category, language, pattern, weight) VALUES
    ('technical', 'en', '\m(error|bug|crash(es|ed)?|log ?in|password|website|app)\M|not working|doesn.t work|can.t (log|sign) in', 1),
    ('technical', 'uk', 'помилк|не працює|пароль|сайт|додат(ок|ку)|не можу увійти', 1),
    ('technical', 'ru', 'ошибк|не работает|пароль|сайт|приложени|не могу войти', 1),
    ('technical', 'pl', 'błąd|nie działa|hasł|stron[aeyi]\M|aplikacj|zalogować', 1),
    ('technical', 'ar', 'خطأ|لا يعمل|كلمة المرور|الموقع|التطبيق|تسجيل الدخول', 1),
    ('technical', 'zh', '错误|无法|打不开|密码|网站|登录|应用', 1),
    ('product', 'en', '\m(size|sizes|material|colou?r|fits?|compatible|in stock|available|warranty)\M', 1),
    ('product', 'uk', 'розмір|матеріал|колір|в наявності|гаранті', 1),
    ('product', 'ru', 'размер|материал|цвет|в наличии|гаранти', 1),
    ('product', 'pl', 'rozmiar|materiał|kolor|dostępn|gwarancj', 1),
    ('product', 'ar', 'مقاس|حجم|لون|متوفر|ضمان', 1),
    ('product', 'zh', '尺码|尺寸|材料|颜色|有货|保修', 1),
    ('ordering', 'en', '\m(place an order|change my order|cancel (my )?order|add to (my )?order|checkout)\M', 2),
    ('ordering', 'uk', 'оформити замовлення|змінити замовлення|скасувати замовлення', 2),
    ('ordering', 'ru', 'оформить заказ|изменить заказ|отменить заказ', 2),
    ('ordering', 'pl', 'złożyć zamówienie|zmienić zamówienie|anulować zamówienie', 2),
    ('ordering', 'ar', 'إلغاء الطلب|تعديل الطلب|تقديم طلب', 2),
    ('ordering', 'zh', '下单|修改订单|取消订单', 2),
    ('delivery', 'en', 'where is my (order|package|parcel)|\m(delivery|delivered|shipping|tracking|courier|parcel|package|shipped|arrived?)\M', 1),
    ('delivery', 'uk', 'де (моє )?замовлення|доставк|доставлен|посилк|трек|кур.єр|відправ', 1),
    ('delivery', 'ru', 'где (мой )?заказ|доставк|доставлен|посылк|трек|курьер|отправ', 1),
    ('delivery', 'pl', 'gdzie jest (moje )?zamówienie|dostaw|przesyłk|paczk|kurier|śledz', 1),
    ('delivery', 'ar', 'أين طلبي|التوصيل|الشحن|الشحنة|تتبع|الطرد', 1),
    ('delivery', 'zh', '我的订单在哪|快递|物流|配送|发货|包裹|运单', 1),
    ('returns', 'en', '\m(return|returns|returned|exchange|send (it )?back)\M', 1.5),
    ('returns', 'uk', 'поверн|обмін|обміня', 1.5),
    ('returns', 'ru', 'возврат|вернуть|обмен|обменя', 1.5),
    ('returns', 'pl', 'zwrot|zwróci|wymian|wymieni', 1.5),
    ('returns', 'ar', 'إرجاع|استرجاع|استبدال', 1.5),
    ('returns', 'zh', '退货|换货|退回', 1.5),
    ('payment', 'en', '\m(payment|pay|paid|invoice|paypal)\M', 1),
    ('payment', 'en', '\m(charged?|card|refund|refunded)\M', 1),
    ('payment', 'uk', 'оплат|платіж|рахун', 1),
    ('payment', 'uk', 'картк|списа|кошти|гроші', 1),
    ('payment', 'ru', 'оплат|плат[её]ж|сч[её]т', 1),
    ('payment', 'ru', 'карт[аыуеой]|списа|деньги', 1),
    ('payment', 'pl', 'płatnoś|zapłac|faktur', 1),
    ('payment', 'pl', 'kart[aąyęi]|obciąż|pieniądz|pieniędz', 1),
    ('payment', 'ar', 'الدفع|دفعت|فاتورة', 1),
    ('payment', 'ar', 'البطاقة|بطاقتي|خصم|استرداد المبلغ', 1),
    ('payment', 'zh', '付款|支付|发票', 1),
    ('payment', 'zh', '扣款|信用卡|退款', 1),
    ('consultation', 'en', '\m(recommend|advice|which (one|model)|should i (buy|choose)|difference between)', 1.5),
    ('consultation', 'uk', 'порад|порекоменд|який (краще|обрати)|різниц', 1.5),
    ('consultation', 'ru', 'посовет|порекоменд|какой (лучше|выбрать)|разниц', 1.5),
    ('consultation', 'pl', 'poleci|doradzi|któr[yaąe] (jest )?(lepsz|wybrać)|różnic', 1.5),
    ('consultation', 'ar', 'تنصح|نصيحة|أيهما أفضل|الفرق بين', 1.5),
    ('consultation', 'zh', '推荐|建议|哪个好|区别', 1.5);

INSERT INTO urgency_rules (language, pattern) VALUES
    ('en', '\m(urgent|urgently|asap|immediately|emergency|right now)\M'),
    ('uk', 'терміново|негайно|якнайшвидше'),
    ('ru', 'срочно|немедленно|как можно скорее'),
    ('pl', 'pilne|pilnie|natychmiast|jak najszybciej'),
    ('ar', 'عاجل|فورا|فوراً|حالا|بسرعة'),
    ('zh', '紧急|马上|立刻|尽快');

INSERT INTO auto_answer_rules (intent, language, pattern, weight) VALUES
    ('where_is_my_order', 'en', 'where(.s| is) my (order|package|parcel)|track(ing)? my (order|package|parcel)|has my order (been )?(shipped|sent)|when will my order (arrive|be delivered|come)|\morder status\M', 2),
    ('where_is_my_order', 'en', '\m(tracking|delivery status)\M', 1),
    ('where_is_my_order', 'uk', 'де (моє |мій )?(замовлення|посилка)|статус (мого )?замовлення|коли (прийде|буде доставлено|надійде) (моє )?замовлення|відстежити', 2),
    ('where_is_my_order', 'ru', 'где (мой )?(заказ|посылка)|статус (моего )?заказа|когда (прид[её]т|доставят|будет доставлен) (мой )?заказ|отследить', 2),
    ('where_is_my_order', 'pl', 'gdzie jest (moje )?(zamówienie|paczka|przesyłka)|status (mojego )?zamówienia|kiedy (dotrze|przyjdzie) (moje )?zamówienie|śledzić', 2),
    ('where_is_my_order', 'ar', 'أين طلبي|أين الطلب|حالة (ال)?طلب|متى (يصل|سيصل) طلبي|تتبع طلبي', 2),
    ('where_is_my_order', 'zh', '我的订单在哪|订单(到)?哪(里|儿)了|订单状态|什么时候(能)?到|查询订单', 2),
    ('return_policy', 'en', '\mreturns? policy\M|refund policy|how (do|can) i return|can i return|return an item', 2),
    ('return_policy', 'uk', 'політик[аи] повернення|умови повернення|як (мені )?повернути|чи можна повернути', 2),
    ('return_policy', 'ru', 'политик[аи] возврата|условия возврата|как (мне )?вернуть|можно ли вернуть', 2),
    ('return_policy', 'pl', 'polityk[ai] zwrotów|zasady zwrotu|zasady zwrotów|jak (mogę )?zwrócić|czy mogę zwrócić', 2),
    ('return_policy', 'ar', 'سياسة (ال)?(إرجاع|استرجاع)|كيف (يمكنني )?(إرجاع|أرجع)|هل يمكنني إرجاع', 2),
    ('return_policy', 'zh', '退货政策|退换货政策|怎么退货|如何退货|可以退货吗', 2),
    ('shipping_time', 'en', 'how long (does|will) (the )?(shipping|delivery) take|how long (to|will it take to) (ship|deliver)|\m(shipping|delivery) times?\M|how many days .{0,20}(deliver|ship|arrive)', 2),
    ('shipping_time', 'uk', 'скільки (днів|часу) (триває |займає )?доставк|терміни? доставки|як довго (йде |триває )?доставк', 2),
    ('shipping_time', 'ru', 'сколько (дней|времени) (идет |идёт |занимает )?доставк|сроки? доставки|как долго (идет |идёт )?доставк', 2),
    ('shipping_time', 'pl', 'ile (dni|czasu) trwa (dostawa|wysyłka)|czas (dostawy|wysyłki)|jak długo trwa (dostawa|wysyłka)', 2),
    ('shipping_time', 'ar', 'كم (يوم|يوما|يومًا|من الوقت) (يستغرق )?(الشحن|التوصيل)|مدة (الشحن|التوصيل)', 2),
    ('shipping_time', 'zh', '(发货|配送|运送|快递|送货).{0,6}(多久|多长时间|几天)|运送时间|配送时间|几天(能)?到', 2);

INSERT INTO auto_answer_templates (intent, locale, body) VALUES
    ('where_is_my_order', 'en', E'Hello{{#customer_name}} {{customer_name}}{{/customer_name}},\n\nyour order {{order_number}} is {{status}}.{{#carrier}} Carrier: {{carrier}}.{{/carrier}}{{#tracking_url}} Track it here: {{tracking_url}}{{/tracking_url}}{{#estimated_delivery}} Expected delivery: {{estimated_delivery}}.{{/estimated_delivery}}\n\nIf you need anything else, just reply and one of our team will help you.'),
    ('where_is_my_order', 'uk', E'Вітаємо{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\nВаше замовлення {{order_number}}: {{status}}.{{#carrier}} Перевізник: {{carrier}}.{{/carrier}}{{#tracking_url}} Відстежити: {{tracking_url}}{{/tracking_url}}{{#estimated_delivery}} Очікувана доставка: {{estimated_delivery}}.{{/estimated_delivery}}\n\nЯкщо потрібно щось іще, просто відповідайте на це повідомлення, і наша команда допоможе.'),
    ('where_is_my_order', 'ru', E'Здравствуйте{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\nВаш заказ {{order_number}}: {{status}}.{{#carrier}} Перевозчик: {{carrier}}.{{/carrier}}{{#tracking_url}} Отследить: {{tracking_url}}{{/tracking_url}}{{#estimated_delivery}} Ожидаемая доставка: {{estimated_delivery}}.{{/estimated_delivery}}\n\nЕсли нужно что-то ещё, просто ответьте на это сообщение, и наша команда поможет.'),
    ('where_is_my_order', 'pl', E'Dzień dobry{{#customer_name}} {{customer_name}}{{/customer_name}},\n\nTwoje zamówienie {{order_number}}: {{status}}.{{#carrier}} Przewoźnik: {{carrier}}.{{/carrier}}{{#tracking_url}} Śledzenie: {{tracking_url}}{{/tracking_url}}{{#estimated_delivery}} Przewidywana dostawa: {{estimated_delivery}}.{{/estimated_delivery}}\n\nJeśli potrzebujesz czegoś jeszcze, odpowiedz na tę wiadomość, a nasz zespół pomoże.'),
    ('where_is_my_order', 'ar', E'مرحباً{{#customer_name}} {{customer_name}}{{/customer_name}}،\n\nطلبك رقم {{order_number}}: {{status}}.{{#carrier}} شركة الشحن: {{carrier}}.{{/carrier}}{{#tracking_url}} رابط التتبع: {{tracking_url}}{{/tracking_url}}{{#estimated_delivery}} موعد التسليم المتوقع: {{estimated_delivery}}.{{/estimated_delivery}}\n\nإذا احتجت إلى أي شيء آخر، فقط رد على هذه الرسالة وسيساعدك فريقنا.'),
    ('where_is_my_order', 'zh', E'您好{{#customer_name}}，{{customer_name}}{{/customer_name}}！\n\n您的订单 {{order_number}}：{{status}}。{{#carrier}}承运商：{{carrier}}。{{/carrier}}{{#tracking_url}}物流跟踪：{{tracking_url}}{{/tracking_url}}{{#estimated_delivery}}预计送达：{{estimated_delivery}}。{{/estimated_delivery}}\n\n如需其他帮助，请直接回复此消息，我们的团队会为您处理。'),
    ('return_policy', 'en', E'Hello{{#customer_name}} {{customer_name}}{{/customer_name}},\n\n{{policy}}\n\nIf you need anything else, just reply and one of our team will help you.'),
    ('return_policy', 'uk', E'Вітаємо{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\n{{policy}}\n\nЯкщо потрібно щось іще, просто відповідайте на це повідомлення, і наша команда допоможе.'),
    ('return_policy', 'ru', E'Здравствуйте{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\n{{policy}}\n\nЕсли нужно что-то ещё, просто ответьте на это сообщение, и наша команда поможет.'),
    ('return_policy', 'pl', E'Dzień dobry{{#customer_name}} {{customer_name}}{{/customer_name}},\n\n{{policy}}\n\nJeśli potrzebujesz czegoś jeszcze, odpowiedz na tę wiadomość, a nasz zespół pomoże.'),
    ('return_policy', 'ar', E'مرحباً{{#customer_name}} {{customer_name}}{{/customer_name}}،\n\n{{policy}}\n\nإذا احتجت إلى أي شيء آخر، فقط رد على هذه الرسالة وسيساعدك فريقنا.'),
    ('return_policy', 'zh', E'您好{{#customer_name}}，{{customer_name}}{{/customer_name}}！\n\n{{policy}}\n\n如需其他帮助，请直接回复此消息，我们的团队会为您处理。'),
    ('shipping_time', 'en', E'Hello{{#customer_name}} {{customer_name}}{{/customer_name}},\n\n{{policy}}\n\nIf you need anything else, just reply and one of our team will help you.'),
    ('shipping_time', 'uk', E'Вітаємо{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\n{{policy}}\n\nЯкщо потрібно щось іще, просто відповідайте на це повідомлення, і наша команда допоможе.'),
    ('shipping_time', 'ru', E'Здравствуйте{{#customer_name}}, {{customer_name}}{{/customer_name}}!\n\n{{policy}}\n\nЕсли нужно что-то ещё, просто ответьте на это сообщение, и наша команда поможет.'),
    ('shipping_time', 'pl', E'Dzień dobry{{#customer_name}} {{customer_name}}{{/customer_name}},\n\n{{policy}}\n\nJeśli potrzebujesz czegoś jeszcze, odpowiedz na tę wiadomość, a nasz zespół pomoże.'),
    ('shipping_time', 'ar', E'مرحباً{{#customer_name}} {{customer_name}}{{/customer_name}}،\n\n{{policy}}\n\nإذا احتجت إلى أي شيء آخر، فقط رد على هذه الرسالة وسيساعدك فريقنا.'),
    ('shipping_time', 'zh', E'您好{{#customer_name}}，{{customer_name}}{{/customer_name}}！\n\n{{policy}}\n\n如需其他帮助，请直接回复此消息，我们的团队会为您处理。');

INSERT INTO policy_texts (topic, locale, body) VALUES
    ('return_policy', 'en', 'You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page or reply with your order number; we email you a prepaid label, and the refund reaches your card within 5 business days of the item arriving at our warehouse.'),
    ('return_policy', 'uk', 'Ви можете повернути будь-який невикористаний товар протягом 30 днів після доставки й отримати повне відшкодування. Оформіть повернення на сторінці замовлення або надішліть нам номер замовлення; ми надішлемо оплачену етикетку, а кошти повернуться на картку протягом 5 робочих днів після надходження товару на склад.'),
    ('return_policy', 'ru', 'Вы можете вернуть любой неиспользованный товар в течение 30 дней после доставки и получить полный возврат денег. Оформите возврат на странице заказа или пришлите нам номер заказа; мы отправим оплаченную этикетку, а деньги вернутся на карту в течение 5 рабочих дней после поступления товара на склад.'),
    ('return_policy', 'pl', 'Każdy nieużywany produkt możesz zwrócić w ciągu 30 dni od dostawy i otrzymać pełny zwrot pieniędzy. Zgłoś zwrot na stronie zamówienia lub odpisz z numerem zamówienia; wyślemy opłaconą etykietę, a pieniądze wrócą na kartę w ciągu 5 dni roboczych od dotarcia produktu do magazynu.'),
    ('return_policy', 'ar', 'يمكنك إرجاع أي منتج غير مستخدم خلال 30 يوماً من التسليم واسترداد المبلغ كاملاً. ابدأ الإرجاع من صفحة الطلب أو أرسل لنا رقم الطلب؛ سنرسل لك ملصق شحن مدفوعاً، ويصل المبلغ إلى بطاقتك خلال 5 أيام عمل من وصول المنتج إلى مستودعنا.'),
    ('return_policy', 'zh', '未使用的商品可在签收后30天内退货并获得全额退款。请在订单页面申请退货或回复您的订单号；我们会发送预付运单，商品到达仓库后5个工作日内退款至您的银行卡。'),
    ('shipping_time', 'en', 'Orders ship within 1 business day. Delivery takes 2–4 business days within the country and 5–10 business days abroad; you receive a tracking link as soon as your parcel leaves our warehouse.'),
    ('shipping_time', 'uk', 'Ми відправляємо замовлення протягом 1 робочого дня. Доставка займає 2–4 робочі дні по країні та 5–10 робочих днів за кордон; посилання для відстеження ви отримаєте, щойно посилка залишить склад.'),
    ('shipping_time', 'ru', 'Мы отправляем заказы в течение 1 рабочего дня. Доставка занимает 2–4 рабочих дня по стране и 5–10 рабочих дней за границу; ссылку для отслеживания вы получите, как только посылка покинет склад.'),
    ('shipping_time', 'pl', 'Zamówienia wysyłamy w ciągu 1 dnia roboczego. Dostawa trwa 2–4 dni robocze w kraju i 5–10 dni roboczych za granicę; link do śledzenia otrzymasz, gdy tylko paczka opuści magazyn.'),
    ('shipping_time', 'ar', 'نشحن الطلبات خلال يوم عمل واحد. يستغرق التوصيل من 2 إلى 4 أيام عمل داخل البلد ومن 5 إلى 10 أيام عمل للخارج؛ وستصلك رسالة برابط التتبع بمجرد مغادرة الطرد مستودعنا.'),
    ('shipping_time', 'zh', '订单在1个工作日内发货。国内配送需2–4个工作日，国际配送需5–10个工作日；包裹离开仓库后，您会立即收到物流跟踪链接。');

INSERT INTO order_status_labels (locale, status, label)
SELECT l.locale, s.status, s.labels[l.n]
  FROM (VALUES ('en', 1), ('uk', 2), ('ru', 3), ('pl', 4), ('ar', 5), ('zh', 6)) AS l(locale, n)
 CROSS JOIN (VALUES
    ('placed',           ARRAY['received and being prepared', 'прийняте й готується', 'принят и готовится', 'przyjęte i w przygotowaniu', 'تم استلامه وقيد التجهيز', '已接收，正在准备']),
    ('paid',             ARRAY['paid and being prepared', 'оплачене й готується', 'оплачен и готовится', 'opłacone i w przygotowaniu', 'مدفوع وقيد التجهيز', '已付款，正在准备']),
    ('processing',       ARRAY['being packed', 'комплектується', 'комплектуется', 'w trakcie pakowania', 'قيد التغليف', '正在打包']),
    ('shipped',          ARRAY['on its way', 'відправлене', 'отправлен', 'wysłane', 'تم شحنه', '已发货']),
    ('out_for_delivery', ARRAY['out for delivery today', 'сьогодні в доставці', 'сегодня в доставке', 'dziś w doręczeniu', 'خرج للتوصيل اليوم', '今天派送中']),
    ('delivered',        ARRAY['delivered', 'доставлене', 'доставлен', 'dostarczone', 'تم تسليمه', '已送达']),
    ('delayed',          ARRAY['delayed, sorry', 'затримується, просимо вибачення', 'задерживается, приносим извинения', 'opóźnione, przepraszamy', 'متأخر، نعتذر عن ذلك', '已延迟，非常抱歉']),
    ('cancelled',        ARRAY['cancelled', 'скасоване', 'отменён', 'anulowane', 'تم إلغاؤه', '已取消']),
    ('returned',         ARRAY['returned', 'повернене', 'возвращён', 'zwrócone', 'تم إرجاعه', '已退货']),
    ('refunded',         ARRAY['refunded', 'кошти повернено', 'деньги возвращены', 'zwrot pieniędzy wykonany', 'تم استرداد المبلغ', '已退款'])
 ) AS s(status, labels);
