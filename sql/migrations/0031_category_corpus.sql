-- The starting corpus of the category classifier (issue 20): customer messages for every
-- category in English, Ukrainian, Russian, Polish, Arabic and Chinese, twelve per category and
-- language, written for Switchboard: eight short ones, then four harder ones (typos,
-- transliteration, long emails with greetings and signatures). Agents' corrections
-- (set_conversation_category) add to them; `switchboard categories train` learns from both. More
-- examples come in later migrations. A category an admin has removed (or renamed) since 0002
-- gets none of its examples.

INSERT INTO category_examples (category, language, text, source)
SELECT v.category, v.language, v.text, 'corpus'
  FROM (VALUES
    ('technical', 'en', 'I can''t log in to my account, it keeps saying wrong password even after I reset it'),
    ('technical', 'en', 'the checkout page just spins and never loads on my phone'),
    ('technical', 'en', 'Your app crashes every time I open the wishlist. iPhone 13, latest iOS'),
    ('technical', 'en', 'I never got the email to confirm my account, checked spam too'),
    ('technical', 'en', 'the site shows an error 500 when I try to apply a discount code'),
    ('technical', 'en', 'cant sign in with google anymore, it just redirects back to the start'),
    ('technical', 'en', 'Hi, the password reset link says it has expired straight away. Thanks, Tom'),
    ('technical', 'en', 'pictures on the product pages don''t load, just grey boxes'),
    ('product', 'en', 'what size is the oak desk? does it come assembled?'),
    ('product', 'en', 'Is this jacket waterproof or just water resistant?'),
    ('product', 'en', 'do you have the blue sneakers in a 42?'),
    ('product', 'en', 'what are the dimensions of the large linen duvet cover'),
    ('product', 'en', 'will this charger work with a samsung galaxy s22'),
    ('product', 'en', 'Is the sofa fabric removable and washable? Kind regards, Anna'),
    ('product', 'en', 'when will the black version be back in stock'),
    ('product', 'en', 'what is the ring made of, is it real silver?'),
    ('ordering', 'en', 'I''d like to add one more mug to the order I placed this morning'),
    ('ordering', 'en', 'please cancel my order 10452, I ordered the wrong colour'),
    ('ordering', 'en', 'can I change the delivery address on my order before it ships'),
    ('ordering', 'en', 'I placed an order twice by mistake, can you cancel one of them'),
    ('ordering', 'en', 'how do I order a gift with a message card'),
    ('ordering', 'en', 'Can I still swap the size on order #88120? I chose M but need L'),
    ('ordering', 'en', 'is it possible to combine my two orders into one parcel'),
    ('ordering', 'en', 'i want to order 3 more of the same lamp, can you add them to my last order'),
    ('delivery', 'en', 'where is my parcel? it was supposed to arrive on monday'),
    ('delivery', 'en', 'my order still hasn''t come, it''s been two weeks'),
    ('delivery', 'en', 'the tracking hasn''t updated in 5 days'),
    ('delivery', 'en', 'courier says delivered but nothing is at my door'),
    ('delivery', 'en', 'how long does shipping to Ireland take?'),
    ('delivery', 'en', 'Do you deliver on Saturdays? I''m not home during the week'),
    ('delivery', 'en', 'Hello, order 55310 shows as shipped but the tracking link doesn''t work. Best, Mark'),
    ('delivery', 'en', 'which carrier do you use for international orders'),
    ('returns', 'en', 'I want to return the shoes, they are too small'),
    ('returns', 'en', 'how do I send back a damaged item and get a refund'),
    ('returns', 'en', 'Can I exchange the dress for a bigger size?'),
    ('returns', 'en', 'I returned the parcel ten days ago and still no refund'),
    ('returns', 'en', 'the chair arrived broken, I''d like to send it back'),
    ('returns', 'en', 'do I have to pay for the return label'),
    ('returns', 'en', 'wrong item in my box, I ordered a grey scarf and got a red one, how do I swap it'),
    ('returns', 'en', 'what''s your return policy for sale items'),
    ('payment', 'en', 'I was charged twice for the same order'),
    ('payment', 'en', 'my card was declined but the money left my account'),
    ('payment', 'en', 'please send me a VAT invoice for order 7781'),
    ('payment', 'en', 'can I pay with PayPal or only card?'),
    ('payment', 'en', 'the discount wasn''t applied and I paid full price'),
    ('payment', 'en', 'Do you accept Apple Pay? Thanks'),
    ('payment', 'en', 'I need an invoice with my company name on it'),
    ('payment', 'en', 'there''s a charge from you on my statement I don''t recognise'),
    ('consultation', 'en', 'which mattress would you recommend for back pain'),
    ('consultation', 'en', 'I''m looking for a gift for my dad who loves cooking, any ideas?'),
    ('consultation', 'en', 'what''s the difference between the pro and the standard version'),
    ('consultation', 'en', 'which running shoes are best for flat feet'),
    ('consultation', 'en', 'I need a desk for a small room, what would you suggest'),
    ('consultation', 'en', 'Could you help me choose a coffee machine under 300?'),
    ('consultation', 'en', 'is the wool or the cotton blanket better for winter'),
    ('consultation', 'en', 'what would go well with the green sofa, cushions or a throw?'),
    ('technical', 'uk', 'не можу увійти в акаунт, пише що пароль неправильний'),
    ('technical', 'uk', 'сайт видає помилку коли натискаю оформити'),
    ('technical', 'uk', 'додаток вилітає щоразу як відкриваю кошик'),
    ('technical', 'uk', 'не приходить лист для підтвердження пошти'),
    ('technical', 'uk', 'посилання для відновлення пароля не працює'),
    ('technical', 'uk', 'на телефоні сторінка оплати не завантажується взагалі'),
    ('technical', 'uk', 'не відображаються фото товарів, тільки сірі квадрати'),
    ('technical', 'uk', 'Добрий день, не можу зареєструватися, кнопка не натискається. Дякую, Олена'),
    ('product', 'uk', 'Який розмір у дубового столу? Він приходить зібраним?'),
    ('product', 'uk', 'ця куртка водонепроникна?'),
    ('product', 'uk', 'чи є кросівки 42 розміру в синьому кольорі'),
    ('product', 'uk', 'з якого матеріалу зроблений чохол'),
    ('product', 'uk', 'коли знову буде в наявності чорний варіант'),
    ('product', 'uk', 'чи підійде цей зарядний пристрій до samsung'),
    ('product', 'uk', 'які розміри ковдри двоспальної'),
    ('product', 'uk', 'каблучка зі справжнього срібла?'),
    ('ordering', 'uk', 'Чи можу я додати ще одну чашку до замовлення?'),
    ('ordering', 'uk', 'скасуйте будь ласка моє замовлення, я помилилася з кольором'),
    ('ordering', 'uk', 'хочу змінити адресу доставки в замовленні'),
    ('ordering', 'uk', 'випадково оформила замовлення двічі, скасуйте одне'),
    ('ordering', 'uk', 'як замовити подарунок з листівкою'),
    ('ordering', 'uk', 'чи можна ще поміняти розмір у замовленні 88120'),
    ('ordering', 'uk', 'можна об''єднати два мої замовлення в одну посилку?'),
    ('ordering', 'uk', 'хочу дозамовити ще дві лампи до останнього замовлення'),
    ('delivery', 'uk', 'Моє замовлення досі не прийшло'),
    ('delivery', 'uk', 'де моя посилка? мала бути в понеділок'),
    ('delivery', 'uk', 'трекінг не оновлюється вже п''ять днів'),
    ('delivery', 'uk', 'кур''єр пише що доставлено, але нічого немає'),
    ('delivery', 'uk', 'скільки йде доставка до Львова'),
    ('delivery', 'uk', 'чи доставляєте ви в суботу'),
    ('delivery', 'uk', 'замовлення відправлене, але номер відстеження не працює'),
    ('delivery', 'uk', 'яка служба доставки возить за кордон'),
    ('returns', 'uk', 'хочу повернути черевики, вони замалі'),
    ('returns', 'uk', 'як повернути пошкоджений товар і отримати гроші'),
    ('returns', 'uk', 'можна обміняти сукню на більший розмір?'),
    ('returns', 'uk', 'повернула посилку десять днів тому, а гроші досі не повернули'),
    ('returns', 'uk', 'стілець приїхав зламаний, хочу повернути'),
    ('returns', 'uk', 'чи треба платити за доставку повернення'),
    ('returns', 'uk', 'прийшов не той товар, замовляла сірий шарф а прийшов червоний'),
    ('returns', 'uk', 'які умови повернення для товарів зі знижкою'),
    ('payment', 'uk', 'з мене двічі зняли гроші за одне замовлення'),
    ('payment', 'uk', 'оплата не пройшла, але гроші з картки списали'),
    ('payment', 'uk', 'надішліть будь ласка рахунок-фактуру на замовлення 7781'),
    ('payment', 'uk', 'можна оплатити через приват24 чи тільки карткою?'),
    ('payment', 'uk', 'знижка не застосувалась і я заплатила повну ціну'),
    ('payment', 'uk', 'чи можна оплатити при отриманні'),
    ('payment', 'uk', 'потрібен рахунок на фоп'),
    ('payment', 'uk', 'бачу у виписці списання від вас, якого не розумію'),
    ('consultation', 'uk', 'який матрац порадите при болях у спині'),
    ('consultation', 'uk', 'шукаю подарунок татові, він любить готувати, що порадите?'),
    ('consultation', 'uk', 'яка різниця між версією pro і звичайною'),
    ('consultation', 'uk', 'які кросівки краще для плоскостопості'),
    ('consultation', 'uk', 'потрібен стіл для маленької кімнати, що підкажете'),
    ('consultation', 'uk', 'допоможіть вибрати кавоварку до 10000 грн'),
    ('consultation', 'uk', 'що краще на зиму, вовняний чи бавовняний плед'),
    ('consultation', 'uk', 'що підійде до зеленого дивана, подушки чи покривало?'),
    ('technical', 'ru', 'не могу войти в аккаунт, пишет неверный пароль'),
    ('technical', 'ru', 'сайт выдает ошибку при оформлении'),
    ('technical', 'ru', 'приложение вылетает когда открываю корзину'),
    ('technical', 'ru', 'не приходит письмо для подтверждения почты'),
    ('technical', 'ru', 'ссылка для восстановления пароля не работает'),
    ('technical', 'ru', 'на телефоне не грузится страница оплаты'),
    ('technical', 'ru', 'не отображаются фотографии товаров'),
    ('technical', 'ru', 'Здравствуйте, не получается зарегистрироваться, кнопка не нажимается. Спасибо, Ирина'),
    ('product', 'ru', 'какой размер у дубового стола? он приходит в собранном виде?'),
    ('product', 'ru', 'эта куртка непромокаемая?'),
    ('product', 'ru', 'есть ли кроссовки 42 размера в синем цвете'),
    ('product', 'ru', 'из какого материала сделан чехол'),
    ('product', 'ru', 'когда снова появится черный вариант'),
    ('product', 'ru', 'подойдет ли это зарядное устройство к samsung'),
    ('product', 'ru', 'какие размеры у двуспального одеяла'),
    ('product', 'ru', 'кольцо из настоящего серебра?'),
    ('ordering', 'ru', 'можно добавить еще одну кружку к заказу?'),
    ('ordering', 'ru', 'отмените пожалуйста мой заказ, я ошиблась с цветом'),
    ('ordering', 'ru', 'хочу изменить адрес доставки в заказе'),
    ('ordering', 'ru', 'случайно оформила заказ два раза, отмените один'),
    ('ordering', 'ru', 'как заказать подарок с открыткой'),
    ('ordering', 'ru', 'можно ли еще поменять размер в заказе 88120'),
    ('ordering', 'ru', 'можно объединить два моих заказа в одну посылку?'),
    ('ordering', 'ru', 'хочу дозаказать еще две лампы к последнему заказу'),
    ('delivery', 'ru', 'мой заказ до сих пор не пришел'),
    ('delivery', 'ru', 'где моя посылка? должна была прийти в понедельник'),
    ('delivery', 'ru', 'трек номер не обновляется уже пять дней'),
    ('delivery', 'ru', 'курьер пишет что доставлено, но ничего нет'),
    ('delivery', 'ru', 'сколько идет доставка в Минск'),
    ('delivery', 'ru', 'вы доставляете в субботу?'),
    ('delivery', 'ru', 'заказ отправлен, но отслеживание не работает'),
    ('delivery', 'ru', 'какая служба доставки возит за границу'),
    ('returns', 'ru', 'хочу вернуть ботинки, они малы'),
    ('returns', 'ru', 'как вернуть поврежденный товар и получить деньги'),
    ('returns', 'ru', 'можно обменять платье на размер больше?'),
    ('returns', 'ru', 'вернула посылку десять дней назад, а деньги так и не вернули'),
    ('returns', 'ru', 'стул пришел сломанный, хочу вернуть'),
    ('returns', 'ru', 'нужно ли платить за обратную доставку'),
    ('returns', 'ru', 'пришел не тот товар, заказывала серый шарф а пришел красный'),
    ('returns', 'ru', 'какие условия возврата для товаров со скидкой'),
    ('payment', 'ru', 'с меня дважды списали деньги за один заказ'),
    ('payment', 'ru', 'оплата не прошла, но деньги с карты списались'),
    ('payment', 'ru', 'пришлите пожалуйста счет-фактуру на заказ 7781'),
    ('payment', 'ru', 'можно оплатить через сбп или только картой?'),
    ('payment', 'ru', 'скидка не применилась и я заплатила полную цену'),
    ('payment', 'ru', 'можно ли оплатить при получении'),
    ('payment', 'ru', 'нужен счет на юрлицо'),
    ('payment', 'ru', 'вижу в выписке списание от вас, которое не понимаю'),
    ('consultation', 'ru', 'какой матрас посоветуете при болях в спине'),
    ('consultation', 'ru', 'ищу подарок папе, он любит готовить, что посоветуете?'),
    ('consultation', 'ru', 'какая разница между версией pro и обычной'),
    ('consultation', 'ru', 'какие кроссовки лучше при плоскостопии'),
    ('consultation', 'ru', 'нужен стол для маленькой комнаты, что подскажете'),
    ('consultation', 'ru', 'помогите выбрать кофемашину до 30000 рублей'),
    ('consultation', 'ru', 'что лучше на зиму, шерстяной или хлопковый плед'),
    ('consultation', 'ru', 'что подойдет к зеленому дивану, подушки или покрывало?'),
    ('technical', 'pl', 'nie mogę się zalogować, pisze że hasło jest błędne'),
    ('technical', 'pl', 'strona wyświetla błąd przy składaniu zamówienia'),
    ('technical', 'pl', 'aplikacja się zamyka gdy otwieram koszyk'),
    ('technical', 'pl', 'nie dostałam maila z potwierdzeniem konta'),
    ('technical', 'pl', 'link do resetu hasła nie działa'),
    ('technical', 'pl', 'na telefonie strona płatności w ogóle się nie ładuje'),
    ('technical', 'pl', 'nie wyświetlają się zdjęcia produktów'),
    ('technical', 'pl', 'Dzień dobry, nie mogę założyć konta, przycisk nie reaguje. Pozdrawiam, Kasia'),
    ('product', 'pl', 'jaki jest rozmiar dębowego biurka? czy przychodzi złożone?'),
    ('product', 'pl', 'czy ta kurtka jest wodoodporna?'),
    ('product', 'pl', 'czy są buty w rozmiarze 42 w kolorze niebieskim'),
    ('product', 'pl', 'z jakiego materiału jest pokrowiec'),
    ('product', 'pl', 'kiedy czarna wersja będzie znowu dostępna'),
    ('product', 'pl', 'czy ta ładowarka pasuje do samsunga'),
    ('product', 'pl', 'jakie wymiary ma kołdra dwuosobowa'),
    ('product', 'pl', 'czy pierścionek jest z prawdziwego srebra?'),
    ('ordering', 'pl', 'Czy mogę dodać jeszcze jedną rzecz do zamówienia?'),
    ('ordering', 'pl', 'proszę anulować moje zamówienie, pomyliłam kolor'),
    ('ordering', 'pl', 'chcę zmienić adres dostawy w zamówieniu'),
    ('ordering', 'pl', 'przez pomyłkę złożyłam zamówienie dwa razy, proszę anulować jedno'),
    ('ordering', 'pl', 'jak zamówić prezent z kartką'),
    ('ordering', 'pl', 'czy można jeszcze zmienić rozmiar w zamówieniu 88120'),
    ('ordering', 'pl', 'czy można połączyć dwa moje zamówienia w jedną paczkę'),
    ('ordering', 'pl', 'chcę domówić jeszcze dwie lampy do ostatniego zamówienia'),
    ('delivery', 'pl', 'gdzie jest moja paczka? miała być w poniedziałek'),
    ('delivery', 'pl', 'moje zamówienie nadal nie dotarło'),
    ('delivery', 'pl', 'śledzenie przesyłki nie aktualizuje się od pięciu dni'),
    ('delivery', 'pl', 'kurier napisał że dostarczone ale nic nie ma'),
    ('delivery', 'pl', 'ile trwa wysyłka do Niemiec'),
    ('delivery', 'pl', 'czy dostarczacie w sobotę'),
    ('delivery', 'pl', 'zamówienie wysłane ale numer śledzenia nie działa'),
    ('delivery', 'pl', 'jakim kurierem wysyłacie za granicę'),
    ('returns', 'pl', 'chcę zwrócić buty, są za małe'),
    ('returns', 'pl', 'jak odesłać uszkodzony towar i odzyskać pieniądze'),
    ('returns', 'pl', 'czy mogę wymienić sukienkę na większy rozmiar'),
    ('returns', 'pl', 'odesłałam paczkę dziesięć dni temu i nadal brak zwrotu pieniędzy'),
    ('returns', 'pl', 'krzesło przyszło połamane, chcę je zwrócić'),
    ('returns', 'pl', 'czy za etykietę zwrotną trzeba płacić'),
    ('returns', 'pl', 'przyszedł zły produkt, zamawiałam szary szalik a dostałam czerwony'),
    ('returns', 'pl', 'jakie są zasady zwrotu produktów z promocji'),
    ('payment', 'pl', 'pobrano ode mnie płatność dwa razy za to samo zamówienie'),
    ('payment', 'pl', 'płatność się nie powiodła ale pieniądze zeszły z konta'),
    ('payment', 'pl', 'proszę o fakturę VAT do zamówienia 7781'),
    ('payment', 'pl', 'czy mogę zapłacić blikiem czy tylko kartą?'),
    ('payment', 'pl', 'rabat się nie naliczył i zapłaciłam pełną cenę'),
    ('payment', 'pl', 'czy można zapłacić przy odbiorze'),
    ('payment', 'pl', 'potrzebuję faktury na firmę z NIP'),
    ('payment', 'pl', 'widzę na wyciągu obciążenie od was którego nie rozumiem'),
    ('consultation', 'pl', 'jaki materac polecacie przy bólach pleców'),
    ('consultation', 'pl', 'szukam prezentu dla taty który lubi gotować, co polecacie?'),
    ('consultation', 'pl', 'jaka jest różnica między wersją pro a zwykłą'),
    ('consultation', 'pl', 'jakie buty do biegania są najlepsze na płaskostopie'),
    ('consultation', 'pl', 'potrzebuję biurka do małego pokoju, co doradzicie'),
    ('consultation', 'pl', 'pomóżcie wybrać ekspres do kawy do 1500 zł'),
    ('consultation', 'pl', 'co lepsze na zimę, koc wełniany czy bawełniany'),
    ('consultation', 'pl', 'co będzie pasować do zielonej kanapy, poduszki czy narzuta?'),
    ('technical', 'ar', 'لا أستطيع تسجيل الدخول إلى حسابي، يقول إن كلمة المرور خاطئة'),
    ('technical', 'ar', 'الموقع يظهر خطأ عند إتمام الطلب'),
    ('technical', 'ar', 'التطبيق يغلق كلما فتحت سلة التسوق'),
    ('technical', 'ar', 'لم تصلني رسالة تأكيد البريد الإلكتروني'),
    ('technical', 'ar', 'رابط استعادة كلمة المرور لا يعمل'),
    ('technical', 'ar', 'صفحة الدفع لا تفتح على هاتفي'),
    ('technical', 'ar', 'صور المنتجات لا تظهر في الموقع'),
    ('technical', 'ar', 'مرحبا، لا أستطيع إنشاء حساب جديد، الزر لا يستجيب. شكرا، سارة'),
    ('product', 'ar', 'ما مقاس المكتب الخشبي؟ هل يصل مركبا؟'),
    ('product', 'ar', 'هل هذه السترة مقاومة للماء؟'),
    ('product', 'ar', 'هل يتوفر الحذاء الأزرق مقاس 42'),
    ('product', 'ar', 'من أي مادة مصنوع الغطاء'),
    ('product', 'ar', 'متى يتوفر اللون الأسود مرة أخرى'),
    ('product', 'ar', 'هل هذا الشاحن يعمل مع هاتف سامسونج'),
    ('product', 'ar', 'ما هي أبعاد اللحاف المزدوج'),
    ('product', 'ar', 'هل الخاتم من الفضة الحقيقية؟'),
    ('ordering', 'ar', 'هل يمكنني إضافة كوب آخر إلى طلبي؟'),
    ('ordering', 'ar', 'أرجو إلغاء طلبي، اخترت اللون الخطأ'),
    ('ordering', 'ar', 'أريد تغيير عنوان التوصيل في الطلب'),
    ('ordering', 'ar', 'قمت بالطلب مرتين بالخطأ، ألغوا أحدهما من فضلكم'),
    ('ordering', 'ar', 'كيف أطلب هدية مع بطاقة تهنئة'),
    ('ordering', 'ar', 'هل ما زال بإمكاني تغيير المقاس في الطلب 88120'),
    ('ordering', 'ar', 'هل يمكن دمج طلبيّ في شحنة واحدة'),
    ('ordering', 'ar', 'أريد طلب مصباحين إضافيين مع طلبي الأخير'),
    ('delivery', 'ar', 'أين طردي؟ كان من المفترض أن يصل يوم الاثنين'),
    ('delivery', 'ar', 'لم يصل طلبي حتى الآن'),
    ('delivery', 'ar', 'رقم التتبع لم يتحدث منذ خمسة أيام'),
    ('delivery', 'ar', 'المندوب يقول تم التسليم لكن لم يصلني شيء'),
    ('delivery', 'ar', 'كم يستغرق الشحن إلى الرياض'),
    ('delivery', 'ar', 'هل توصلون يوم السبت'),
    ('delivery', 'ar', 'تم شحن الطلب لكن رابط التتبع لا يعمل'),
    ('delivery', 'ar', 'ما هي شركة الشحن للطلبات الدولية'),
    ('returns', 'ar', 'أريد إرجاع الحذاء، مقاسه صغير'),
    ('returns', 'ar', 'كيف أرجع منتجا تالفا وأسترد المبلغ'),
    ('returns', 'ar', 'هل يمكنني استبدال الفستان بمقاس أكبر؟'),
    ('returns', 'ar', 'أرجعت الطرد قبل عشرة أيام ولم أسترد المبلغ بعد'),
    ('returns', 'ar', 'وصل الكرسي مكسورا وأريد إرجاعه'),
    ('returns', 'ar', 'هل أدفع تكلفة شحن الإرجاع'),
    ('returns', 'ar', 'وصلني منتج خاطئ، طلبت وشاحا رماديا ووصلني أحمر'),
    ('returns', 'ar', 'ما هي سياسة الإرجاع للمنتجات المخفضة'),
    ('payment', 'ar', 'تم خصم المبلغ مرتين لنفس الطلب'),
    ('payment', 'ar', 'فشل الدفع لكن المبلغ خصم من بطاقتي'),
    ('payment', 'ar', 'أرجو إرسال فاتورة ضريبية للطلب 7781'),
    ('payment', 'ar', 'هل يمكنني الدفع عبر أبل باي أم بالبطاقة فقط؟'),
    ('payment', 'ar', 'لم يطبق الخصم ودفعت السعر كاملا'),
    ('payment', 'ar', 'هل يمكن الدفع عند الاستلام'),
    ('payment', 'ar', 'أحتاج فاتورة باسم الشركة'),
    ('payment', 'ar', 'أرى خصما منكم في كشف الحساب لا أعرفه'),
    ('consultation', 'ar', 'أي مرتبة تنصحون بها لآلام الظهر'),
    ('consultation', 'ar', 'أبحث عن هدية لوالدي الذي يحب الطبخ، ماذا تقترحون؟'),
    ('consultation', 'ar', 'ما الفرق بين النسخة برو والعادية'),
    ('consultation', 'ar', 'ما أفضل حذاء جري للقدم المسطحة'),
    ('consultation', 'ar', 'أحتاج مكتبا لغرفة صغيرة، ماذا تنصحون'),
    ('consultation', 'ar', 'ساعدوني في اختيار آلة قهوة بأقل من 1000 ريال'),
    ('consultation', 'ar', 'أيهما أفضل للشتاء، بطانية صوف أم قطن'),
    ('consultation', 'ar', 'ما الذي يناسب الكنبة الخضراء، وسائد أم غطاء؟'),
    ('technical', 'zh', '我登录不了账户，一直提示密码错误'),
    ('technical', 'zh', '下单的时候网站报错'),
    ('technical', 'zh', '每次打开购物车应用就闪退'),
    ('technical', 'zh', '收不到确认邮箱的邮件'),
    ('technical', 'zh', '重置密码的链接打不开'),
    ('technical', 'zh', '手机上支付页面一直加载不出来'),
    ('technical', 'zh', '商品图片显示不出来'),
    ('technical', 'zh', '你好，我注册不了新账号，按钮点不动。谢谢，小李'),
    ('product', 'zh', '橡木书桌是什么尺寸？送来是组装好的吗？'),
    ('product', 'zh', '这件外套防水吗？'),
    ('product', 'zh', '蓝色运动鞋有42码吗'),
    ('product', 'zh', '这个套子是什么材料做的'),
    ('product', 'zh', '黑色款什么时候补货'),
    ('product', 'zh', '这个充电器适用于三星手机吗'),
    ('product', 'zh', '双人被子的尺寸是多少'),
    ('product', 'zh', '戒指是真银的吗？'),
    ('ordering', 'zh', '我可以在订单里再加一个杯子吗？'),
    ('ordering', 'zh', '请取消我的订单，我选错颜色了'),
    ('ordering', 'zh', '我想修改订单的收货地址'),
    ('ordering', 'zh', '不小心下了两次单，请取消一个'),
    ('ordering', 'zh', '怎么订购带贺卡的礼物'),
    ('ordering', 'zh', '订单88120还能改尺码吗'),
    ('ordering', 'zh', '能把我的两个订单合并成一个包裹吗'),
    ('ordering', 'zh', '我想在上一个订单里再加两盏灯'),
    ('delivery', 'zh', '我的包裹在哪里？本来周一就该到了'),
    ('delivery', 'zh', '我的订单到现在还没到'),
    ('delivery', 'zh', '物流信息五天没有更新了'),
    ('delivery', 'zh', '快递显示已签收但是我没收到'),
    ('delivery', 'zh', '寄到上海要几天'),
    ('delivery', 'zh', '周六送货吗'),
    ('delivery', 'zh', '订单已发货但是物流单号查不到'),
    ('delivery', 'zh', '国际订单用哪家快递'),
    ('returns', 'zh', '我想退鞋子，尺码太小了'),
    ('returns', 'zh', '商品坏了怎么退货退款'),
    ('returns', 'zh', '裙子可以换大一号吗？'),
    ('returns', 'zh', '十天前寄回了包裹，还没收到退款'),
    ('returns', 'zh', '椅子送到就是坏的，我要退货'),
    ('returns', 'zh', '退货运费要我自己付吗'),
    ('returns', 'zh', '发错货了，我买的是灰色围巾收到的是红色的'),
    ('returns', 'zh', '打折商品的退货政策是什么'),
    ('payment', 'zh', '同一个订单被扣了两次钱'),
    ('payment', 'zh', '支付失败了但是卡里的钱被扣了'),
    ('payment', 'zh', '请给订单7781开增值税发票'),
    ('payment', 'zh', '可以用支付宝付款吗还是只能刷卡'),
    ('payment', 'zh', '优惠券没有用上，我付了全价'),
    ('payment', 'zh', '可以货到付款吗'),
    ('payment', 'zh', '我需要开公司抬头的发票'),
    ('payment', 'zh', '账单上有一笔你们的扣款我不认识'),
    ('consultation', 'zh', '腰疼的话推荐哪款床垫'),
    ('consultation', 'zh', '想给喜欢做饭的爸爸买礼物，有什么推荐？'),
    ('consultation', 'zh', '专业版和普通版有什么区别'),
    ('consultation', 'zh', '扁平足适合穿哪款跑鞋'),
    ('consultation', 'zh', '小房间适合什么样的书桌，有什么建议'),
    ('consultation', 'zh', '帮我挑一台一千元以内的咖啡机'),
    ('consultation', 'zh', '冬天用羊毛毯还是棉毯好'),
    ('consultation', 'zh', '绿色沙发配靠垫还是盖毯好看？'),
    ('technical', 'en', 'helo i cant acces my acount since yesterday, the login buton does nothing'),
    ('technical', 'en', 'Hi team,

Since your update this morning the website logs me out every few minutes and I lose my basket.

Kind regards,
James Whitfield
Sent from my iPad'),
    ('technical', 'en', 'ur app keeps freezing on the payment screen, tried reinstalling, same thing'),
    ('technical', 'en', 'verification code sms never arrives so i cant finish registering'),
    ('product', 'en', 'hi is the oak table solid wood or veneer?? thx'),
    ('product', 'en', 'Good afternoon,

Could you tell me whether the linen curtains shrink after washing and what lengths they come in?

Many thanks,
Helen
07700 900123'),
    ('product', 'en', 'does the kettle have an auto shut off'),
    ('product', 'en', 'wat colours does the backpack come in'),
    ('ordering', 'en', 'pls cancel order 44120 i found it cheaper elsewhere sorry'),
    ('ordering', 'en', 'Hello,

I ordered the bedside lamp an hour ago but forgot to add the bulbs. Could you add two to the same order so they ship together?

Thanks,
Priya'),
    ('ordering', 'en', 'can i still change the quantity from 2 to 4 on my order'),
    ('ordering', 'en', 'i want to place a big order for my office, 20 chairs, how do i do that'),
    ('delivery', 'en', 'parcel stil not here, tracking says in transit for a week now'),
    ('delivery', 'en', 'Dear Sir or Madam,

My order 30982 was due last Thursday. Nothing has arrived and the courier''s site says "awaiting collection". Please advise.

Yours faithfully,
R. Doyle'),
    ('delivery', 'en', 'is express delivery available to scotland'),
    ('delivery', 'en', 'the driver left my package with a neighbour i dont know, which house'),
    ('returns', 'en', 'wanna send the jeans back they dont fit, how'),
    ('returns', 'en', 'Hi,

The vase arrived cracked. I''ve attached photos. I''d like a replacement or my money back, whichever is quicker.

Best wishes,
Sophie'),
    ('returns', 'en', 'refund still hasnt reached my card after you got the return'),
    ('returns', 'en', 'can i return an opened box of headphones'),
    ('payment', 'en', 'got charged 2x for order 61200 plz fix'),
    ('payment', 'en', 'Hello,

Our accounts team needs a proper invoice showing VAT for last month''s purchases, addressed to Bright Ltd.

Regards,
Daniel Moss
Finance
Bright Ltd'),
    ('payment', 'en', 'klarna says payment failed but the order went through?'),
    ('payment', 'en', 'why was my card charged before the item shipped'),
    ('consultation', 'en', 'hi which of your blenders is best for smoothies, dont want anything too loud'),
    ('consultation', 'en', 'Hello,

I''m furnishing a small flat and torn between the grey and the beige sofa. Which would you recommend for a room with little light?

Thanks,
Maria'),
    ('consultation', 'en', 'need advice on a good beginner yoga mat'),
    ('consultation', 'en', 'what pillow would you suggest for side sleepers'),
    ('technical', 'uk', 'ne mozhu zaity v akaunt, parol ne pidhodyt'),
    ('technical', 'uk', 'Вітаю!

Після оновлення сайт постійно викидає мене з акаунту і кошик очищається.

З повагою,
Оксана Петренко
Надіслано з iPhone'),
    ('technical', 'uk', 'аплікація зависає на екрані оплати, перевстановлювала не допомогло'),
    ('technical', 'uk', 'смс з кодом не приходить, не можу завершити реєстрацію'),
    ('product', 'uk', 'стіл з масиву дубу чи шпон?? дякую'),
    ('product', 'uk', 'Добрий день!

Підкажіть, чи сідають лляні штори після прання і яка буває довжина?

Дякую,
Ірина'),
    ('product', 'uk', 'у чайника є автовимкнення?'),
    ('product', 'uk', 'яких кольорів бувае рюкзак'),
    ('ordering', 'uk', 'скасуйте замовлення 44120 будь ласка, знайшла дешевше'),
    ('ordering', 'uk', 'Доброго дня,

Замовила годину тому нічник, але забула додати лампочки. Додайте дві до того ж замовлення, щоб прийшли разом.

Дякую,
Марта'),
    ('ordering', 'uk', 'чи можна змінити кількість з 2 на 4 у замовленні'),
    ('ordering', 'uk', 'хочу зробити велике замовлення для офісу, 20 стільців, як це зробити'),
    ('delivery', 'uk', 'posylka dosi ne pryishla, trek pyshe v dorozi tyzhden'),
    ('delivery', 'uk', 'Шановні,

Моє замовлення 30982 мало бути в четвер. Нічого не надійшло, а на сайті перевізника "очікує відправлення". Прошу пояснити.

З повагою,
Р. Дорошенко'),
    ('delivery', 'uk', 'чи є експрес доставка в одесу'),
    ('delivery', 'uk', 'кур''єр залишив посилку сусідам яких я не знаю'),
    ('returns', 'uk', 'хочу відправити джинси назад не підійшли як це зробити'),
    ('returns', 'uk', 'Добрий день,

Ваза прийшла тріснута, фото додаю. Хочу заміну або гроші назад.

Гарного дня,
Софія'),
    ('returns', 'uk', 'гроші за повернення досі не прийшли на картку'),
    ('returns', 'uk', 'чи можна повернути відкриту коробку з навушниками'),
    ('payment', 'uk', 'зняли 2 рази за замовлення 61200 виправте'),
    ('payment', 'uk', 'Добрий день,

Бухгалтерії потрібен рахунок з ПДВ за покупки минулого місяця на ТОВ "Світло".

З повагою,
Дмитро Мороз
Фінансовий відділ'),
    ('payment', 'uk', 'оплата частинами не пройшла а замовлення оформилось?'),
    ('payment', 'uk', 'чому з картки списали ще до відправки'),
    ('consultation', 'uk', 'який блендер краще для смузі, щоб не дуже гучний'),
    ('consultation', 'uk', 'Вітаю,

Облаштовую маленьку квартиру і не можу вибрати між сірим і бежевим диваном. Що порадите для темної кімнати?

Дякую,
Марія'),
    ('consultation', 'uk', 'порадьте хороший килимок для йоги для початківця'),
    ('consultation', 'uk', 'яку подушку порадите якщо сплю на боці'),
    ('technical', 'ru', 'ne mogu voiti v akkaunt, parol ne podhodit'),
    ('technical', 'ru', 'Здравствуйте!

После обновления сайт постоянно выкидывает меня из аккаунта и корзина очищается.

С уважением,
Оксана Петрова
Отправлено с iPhone'),
    ('technical', 'ru', 'прилодение зависает на экране оплаты, переустанавливала не помогло'),
    ('technical', 'ru', 'смс с кодом не приходит, не могу закончить регистрацию'),
    ('product', 'ru', 'стол из массива дуба или шпон?? спасибо'),
    ('product', 'ru', 'Добрый день!

Подскажите, садятся ли льняные шторы после стирки и какой бывает длины?

Спасибо,
Ирина'),
    ('product', 'ru', 'у чайника есть автоотключение?'),
    ('product', 'ru', 'каких цветов бывает рюкзак'),
    ('ordering', 'ru', 'отмените заказ 44120 пожалуйста, нашла дешевле'),
    ('ordering', 'ru', 'Добрый день,

Заказала час назад ночник, но забыла добавить лампочки. Добавьте две в тот же заказ, чтобы пришли вместе.

Спасибо,
Марта'),
    ('ordering', 'ru', 'можно изменить количество с 2 на 4 в заказе'),
    ('ordering', 'ru', 'хочу сделать большой заказ для офиса, 20 стульев, как это сделать'),
    ('delivery', 'ru', 'posylka do sih por ne prishla, trek pishet v puti nedelyu'),
    ('delivery', 'ru', 'Уважаемые,

Мой заказ 30982 должен был прийти в четверг. Ничего не пришло, а на сайте перевозчика "ожидает отправки". Прошу объяснить.

С уважением,
Р. Дорохов'),
    ('delivery', 'ru', 'есть ли экспресс доставка в казань'),
    ('delivery', 'ru', 'курьер оставил посылку соседям которых я не знаю'),
    ('returns', 'ru', 'хочу отправить джинсы обратно не подошли как это сделать'),
    ('returns', 'ru', 'Добрый день,

Ваза пришла треснутая, фото прикладываю. Хочу замену или деньги обратно.

Хорошего дня,
Софья'),
    ('returns', 'ru', 'деньги за возврат до сих пор не пришли на карту'),
    ('returns', 'ru', 'можно ли вернуть вскрытую коробку с наушниками'),
    ('payment', 'ru', 'сняли 2 раза за заказ 61200 исправьте'),
    ('payment', 'ru', 'Добрый день,

Бухгалтерии нужен счет с НДС за покупки прошлого месяца на ООО "Свет".

С уважением,
Дмитрий Морозов
Финансовый отдел'),
    ('payment', 'ru', 'рассрочка не прошла а заказ оформился?'),
    ('payment', 'ru', 'почему с карты списали еще до отправки'),
    ('consultation', 'ru', 'какой блендер лучше для смузи, чтобы не очень громкий'),
    ('consultation', 'ru', 'Здравствуйте,

Обставляю маленькую квартиру и не могу выбрать между серым и бежевым диваном. Что посоветуете для темной комнаты?

Спасибо,
Мария'),
    ('consultation', 'ru', 'посоветуйте хороший коврик для йоги для начинающих'),
    ('consultation', 'ru', 'какую подушку посоветуете если сплю на боку'),
    ('technical', 'pl', 'nie moge sie zalogowac od wczoraj, przycisk nic nie robi'),
    ('technical', 'pl', 'Dzień dobry,

Od porannej aktualizacji strona co chwilę mnie wylogowuje i koszyk się czyści.

Pozdrawiam serdecznie,
Agnieszka Nowak
Wysłane z iPhone''a'),
    ('technical', 'pl', 'apka sie zawiesza na ekranie platnosci, reinstalacja nie pomogla'),
    ('technical', 'pl', 'kod sms nie przychodzi i nie mogę dokończyć rejestracji'),
    ('product', 'pl', 'czy stol jest z litego drewna czy okleina?? dzieki'),
    ('product', 'pl', 'Dzień dobry,

czy lniane zasłony kurczą się po praniu i w jakich długościach są dostępne?

Dziękuję,
Helena'),
    ('product', 'pl', 'czy czajnik ma automatyczne wyłączanie'),
    ('product', 'pl', 'w jakich kolorach jest plecak'),
    ('ordering', 'pl', 'prosze anulowac zamowienie 44120 znalazlam taniej'),
    ('ordering', 'pl', 'Dzień dobry,

Godzinę temu zamówiłam lampkę nocną, ale zapomniałam o żarówkach. Proszę dodać dwie do tego samego zamówienia.

Dziękuję,
Marta'),
    ('ordering', 'pl', 'czy mogę zmienić ilość z 2 na 4 w zamówieniu'),
    ('ordering', 'pl', 'chcę złożyć duże zamówienie do biura, 20 krzeseł, jak to zrobić'),
    ('delivery', 'pl', 'paczka dalej nie doszla, sledzenie pokazuje w drodze od tygodnia'),
    ('delivery', 'pl', 'Szanowni Państwo,

Moje zamówienie 30982 miało dotrzeć w czwartek. Nic nie przyszło, a na stronie przewoźnika widnieje "oczekuje na nadanie". Proszę o wyjaśnienie.

Z poważaniem,
R. Dorota'),
    ('delivery', 'pl', 'czy jest dostawa ekspresowa do Gdańska'),
    ('delivery', 'pl', 'kurier zostawił paczkę u sąsiada którego nie znam'),
    ('returns', 'pl', 'chce odeslac jeansy nie pasuja jak to zrobic'),
    ('returns', 'pl', 'Dzień dobry,

Wazon przyszedł pęknięty, zdjęcia w załączniku. Proszę o wymianę albo zwrot pieniędzy.

Miłego dnia,
Zofia'),
    ('returns', 'pl', 'pieniądze za zwrot nadal nie wróciły na kartę'),
    ('returns', 'pl', 'czy mogę zwrócić otwarte pudełko ze słuchawkami'),
    ('payment', 'pl', 'pobraliscie 2 razy za zamowienie 61200 prosze poprawic'),
    ('payment', 'pl', 'Dzień dobry,

Księgowość potrzebuje faktury z VAT za zakupy z zeszłego miesiąca na firmę Jasno sp. z o.o.

Pozdrawiam,
Daniel Mróz
Dział finansowy'),
    ('payment', 'pl', 'płatność ratalna nie przeszła a zamówienie się złożyło?'),
    ('payment', 'pl', 'dlaczego pobraliście pieniądze przed wysyłką'),
    ('consultation', 'pl', 'ktory blender najlepszy do smoothie, zeby nie byl za glosny'),
    ('consultation', 'pl', 'Dzień dobry,

Urządzam małe mieszkanie i nie mogę się zdecydować między szarą a beżową kanapą. Co polecacie do ciemnego pokoju?

Dzięki,
Maria'),
    ('consultation', 'pl', 'polećcie dobrą matę do jogi dla początkujących'),
    ('consultation', 'pl', 'jaką poduszkę polecacie dla osób śpiących na boku'),
    ('technical', 'ar', 'ma agdar asajel dokhool lel hesab, kalimat al sir ghalat'),
    ('technical', 'ar', 'مرحبا،

منذ تحديث الصباح والموقع يخرجني من حسابي كل بضع دقائق وتفرغ السلة.

مع التحية،
أحمد الشمري
أرسلت من جهاز آيفون'),
    ('technical', 'ar', 'التطبيق يعلق في صفحة الدفع، أعدت التثبيت بدون فائدة'),
    ('technical', 'ar', 'رمز التحقق لا يصل برسالة نصية ولا أستطيع إكمال التسجيل'),
    ('product', 'ar', 'هل الطاولة من خشب البلوط الصلب ام قشرة؟؟ شكرا'),
    ('product', 'ar', 'مساء الخير،

هل تنكمش ستائر الكتان بعد الغسيل وما الأطوال المتوفرة؟

شكرا جزيلا،
هالة'),
    ('product', 'ar', 'هل للغلاية إيقاف تلقائي'),
    ('product', 'ar', 'ما الالوان المتوفرة للحقيبة'),
    ('ordering', 'ar', 'الغو الطلب 44120 لو سمحتم لقيته ارخص'),
    ('ordering', 'ar', 'مرحبا،

طلبت مصباح السرير قبل ساعة ونسيت إضافة اللمبات. أضيفوا اثنتين لنفس الطلب لتصل معا.

شكرا،
مريم'),
    ('ordering', 'ar', 'هل يمكن تغيير الكمية من 2 إلى 4 في الطلب'),
    ('ordering', 'ar', 'أريد طلبا كبيرا للمكتب، 20 كرسيا، كيف أفعل ذلك'),
    ('delivery', 'ar', 'el shohna lesa ma wasalat, el tatabo3 yqool fi el tareeq mn osboo3'),
    ('delivery', 'ar', 'السادة المحترمون،

كان من المفترض أن يصل طلبي 30982 يوم الخميس. لم يصل شيء وموقع شركة الشحن يقول "بانتظار الاستلام". أرجو التوضيح.

مع الاحترام،
ر. الدوسري'),
    ('delivery', 'ar', 'هل يوجد توصيل سريع إلى جدة'),
    ('delivery', 'ar', 'المندوب ترك الطرد عند جار لا أعرفه'),
    ('returns', 'ar', 'ابغى ارجع الجينز ما ناسبني كيف'),
    ('returns', 'ar', 'مرحبا،

وصلت المزهرية مكسورة، أرفقت الصور. أريد بديلا أو استرداد المبلغ.

يوم سعيد،
صفية'),
    ('returns', 'ar', 'المبلغ المسترد لم يصل إلى بطاقتي حتى الآن'),
    ('returns', 'ar', 'هل يمكن إرجاع علبة سماعات مفتوحة'),
    ('payment', 'ar', 'انخصم مني مرتين للطلب 61200 صلحوها'),
    ('payment', 'ar', 'مرحبا،

قسم المحاسبة يحتاج فاتورة ضريبية لمشتريات الشهر الماضي باسم شركة النور.

مع التحية،
دانيال
القسم المالي'),
    ('payment', 'ar', 'الدفع بالتقسيط فشل لكن الطلب تم؟'),
    ('payment', 'ar', 'لماذا خصمتم من بطاقتي قبل الشحن'),
    ('consultation', 'ar', 'اي خلاط افضل للعصائر بدون ازعاج'),
    ('consultation', 'ar', 'مرحبا،

أؤثث شقة صغيرة ومحتارة بين الكنبة الرمادية والبيج. بماذا تنصحون لغرفة قليلة الإضاءة؟

شكرا،
ماريا'),
    ('consultation', 'ar', 'انصحوني بسجادة يوغا جيدة للمبتدئين'),
    ('consultation', 'ar', 'ما الوسادة التي تنصحون بها لمن ينام على جنبه'),
    ('technical', 'zh', '登陆不了账号，点登录按钮没反应'),
    ('technical', 'zh', '你好，

今天早上更新以后网站每隔几分钟就把我登出，购物车也清空了。

谢谢，
王芳
发自我的iPhone'),
    ('technical', 'zh', 'app在付款页面卡住了，重装也没用'),
    ('technical', 'zh', '短信验证码一直收不到，注册不了'),
    ('product', 'zh', '桌子是实木的还是贴皮的？？谢谢'),
    ('product', 'zh', '你好，

请问亚麻窗帘洗了会缩水吗，有哪些长度？

谢谢，
海伦'),
    ('product', 'zh', '这个水壶有自动断电吗'),
    ('product', 'zh', '背包有哪些颜色'),
    ('ordering', 'zh', '麻烦取消订单44120，别家更便宜'),
    ('ordering', 'zh', '你好，

我一小时前买了床头灯，忘了加灯泡。请在同一个订单里加两个，一起发货。

谢谢，
玛塔'),
    ('ordering', 'zh', '订单里的数量能从2改成4吗'),
    ('ordering', 'zh', '我想给办公室下个大订单，20把椅子，怎么下'),
    ('delivery', 'zh', '包裹还没到，物流显示运输中一个星期了'),
    ('delivery', 'zh', '您好，

我的订单30982本应上周四送达，但什么都没收到，快递网站显示"等待揽收"。请解释一下。

此致，
刘先生'),
    ('delivery', 'zh', '可以加急送到广州吗'),
    ('delivery', 'zh', '快递员把包裹放在我不认识的邻居家了'),
    ('returns', 'zh', '牛仔裤不合适想寄回去，怎么弄'),
    ('returns', 'zh', '你好，

花瓶到的时候裂了，照片附上。想换一个或者退款。

祝好，
索菲'),
    ('returns', 'zh', '退货的退款还没到我的卡上'),
    ('returns', 'zh', '拆封的耳机盒子可以退吗'),
    ('payment', 'zh', '订单61200扣了我两次款，请处理'),
    ('payment', 'zh', '你好，

财务部需要上个月采购的增值税专用发票，抬头是光明有限公司。

此致，
莫先生
财务部'),
    ('payment', 'zh', '分期付款失败了但是订单下成功了？'),
    ('payment', 'zh', '为什么还没发货就扣款了'),
    ('consultation', 'zh', '哪款搅拌机做奶昔最好，声音别太大'),
    ('consultation', 'zh', '你好，

我在布置一个小公寓，灰色和米色沙发拿不定主意，光线暗的房间推荐哪个？

谢谢，
玛丽亚'),
    ('consultation', 'zh', '推荐一款适合新手的瑜伽垫'),
    ('consultation', 'zh', '侧睡的人适合用什么枕头')
       ) AS v(category, language, text)
 WHERE EXISTS (SELECT 1 FROM categories c WHERE c.name = v.category)
 ORDER BY v.language, v.category;
