-- More of the category classifier's starting corpus (issue 20): twelve more customer messages
-- for every category in each of the six languages (so 100 per category, 700 per language, with
-- 0031's and 0033's), of the kinds the corpus had least of: languages mixed (English words in
-- Ukrainian, Russian, Polish, Arabic and Chinese; Ukrainian with Russian words), and long emails
-- with greetings, signatures and "Sent from my iPhone". A category an admin has removed (or
-- renamed) gets none of its examples.

INSERT INTO category_examples (category, language, text, source)
SELECT v.category, v.language, v.text, 'corpus'
  FROM (VALUES
    ('technical', 'en', 'Hi support,

Your website keeps throwing "Error 403 forbidden" when I open my account page from work. At home it''s fine. Is my IP blocked?

Cheers,
Tom Walsh
Sent from my iPhone'),
    ('technical', 'en', 'the app is in spanish for some reason and i cant find the setting to change it back, por favor help'),
    ('technical', 'en', 'login broken again, it says too many attempts but I only tried once'),
    ('technical', 'en', 'Good evening,

I registered yesterday but the activation email never came. I checked spam and promotions. My address is correct.

Thank you,
Margaret Lee
--
Margaret Lee | Interior Design Studio'),
    ('technical', 'en', 'the checkout page is stuck in an infinite loading loop on safari ios 17'),
    ('technical', 'en', 'ur app keeps crashing when i try to pay with apple pay, the app itself not the payment'),
    ('technical', 'en', 'the buttons on the site overlap on my small laptop screen and I can''t click continue'),
    ('technical', 'en', 'your site says my browser is out of date but it''s the latest chrome'),
    ('technical', 'en', 'my account shows orders from 2019 but not my recent ones'),
    ('technical', 'en', 'the verification code sms comes in chinese characters, can''t read it'),
    ('technical', 'en', 'every link in your newsletter opens a blank page'),
    ('technical', 'en', 'the app froze on the splash screen after todays update, reinstalled twice'),
    ('product', 'en', 'Hello,

Before I order: is the walnut sideboard real walnut or a veneer on MDF? And what''s the inside shelf height? I want to store records.

Thanks a lot,
Daniel Schmidt
--
Daniel Schmidt, Berlin'),
    ('product', 'en', 'does the espresso machine have a pressure gauge'),
    ('product', 'en', 'is this dress lined? the fabric looks a bit see through in the photos'),
    ('product', 'en', 'how many watts is the hair dryer'),
    ('product', 'en', 'does the rug shed a lot'),
    ('product', 'en', 'is the kids bike suitable for a 6 year old about 115cm tall'),
    ('product', 'en', 'Hi, quick question - the running jacket, is it reflective at all? I run in the dark. Ta, Jess'),
    ('product', 'en', 'is the cast iron casserole enamelled inside'),
    ('product', 'en', 'will the sofa bed mattress be comfortable for every night or just guests'),
    ('product', 'en', 'is the yoga mat non slip when wet'),
    ('product', 'en', 'do the headphones work with a cable too or only bluetooth'),
    ('product', 'en', 'what''s the warranty on the mattress and is it a full replacement'),
    ('ordering', 'en', 'Dear team,

I placed order 45510 this morning but I''d like to change the delivery date to next Saturday, as I''ll be away until then. Is that possible?

Kind regards,
Peter Hughes
--
Sent from Outlook'),
    ('ordering', 'en', 'cancel cancel cancel, wrong address on order 30044 pls dont send'),
    ('ordering', 'en', 'I want to buy 3 of the lamps but the site only lets me add 2 to the basket'),
    ('ordering', 'en', 'can I add a second engraving to the order I made an hour ago'),
    ('ordering', 'en', 'I ordered by mistake with my old account, can you move the order to my new one'),
    ('ordering', 'en', 'can I order now and pay when it''s back in stock'),
    ('ordering', 'en', 'is it possible to swap the bed in my order for the bigger frame before it''s packed'),
    ('ordering', 'en', 'Hi, I''d like to place a repeat order of last month''s office supplies, same quantities. Thanks, Priya (Office Manager)'),
    ('ordering', 'en', 'please remove the free sample from my order, I''m allergic'),
    ('ordering', 'en', 'my partner also ordered the same table today, cancel one of them please'),
    ('ordering', 'en', 'can I reserve a sofa in store and pay online'),
    ('ordering', 'en', 'change the name on my order from Sam to Samantha please'),
    ('delivery', 'en', 'Hi,

My tracking says "delivery exception – address incomplete" but the address is correct (flat 4B, 22 Mill Road). Can you sort it with the courier?

Thanks,
Aisha Khan
Sent from my Samsung Galaxy'),
    ('delivery', 'en', 'courier left my parcel outside in the rain, everything is soaked'),
    ('delivery', 'en', 'how long does it take to ship to canada, and do I pay import fees'),
    ('delivery', 'en', 'it''s been "awaiting dispatch" for a week, when will it actually ship'),
    ('delivery', 'en', 'can you deliver after 6pm, I work all day'),
    ('delivery', 'en', 'the parcel tracking has been stuck in Germany for 8 days'),
    ('delivery', 'en', 'the delivery van came but the driver refused to carry the box to my door'),
    ('delivery', 'en', 'do you ship to the Channel Islands'),
    ('delivery', 'en', 'I got a text saying my delivery is tomorrow but I ordered next day, which is it'),
    ('delivery', 'en', 'parcel marked as returned to sender, why??'),
    ('delivery', 'en', 'can I pick up my order from your warehouse myself'),
    ('delivery', 'en', 'my parcel was delivered to the post office instead of my house'),
    ('returns', 'en', 'Dear Customer Service,

The dining chairs arrived yesterday and two of them have cracked legs. I would like replacements for those two, or a refund for them.

Best regards,
Robert Clarke
--
Robert Clarke
07700 900456'),
    ('returns', 'en', 'i wanna send back the trainers, they rub my heel'),
    ('returns', 'en', 'the bedding set is missing the pillowcases, want them sent or money back'),
    ('returns', 'en', 'I returned the kettle in store, when will the refund reach my card'),
    ('returns', 'en', 'the mirror arrived smashed, do I need to send the pieces back'),
    ('returns', 'en', 'can I exchange the jumper for a different colour, same size'),
    ('returns', 'en', 'the dress I got is a size 8 not a 10 like I ordered'),
    ('returns', 'en', 'the toaster only browns one side, it''s faulty'),
    ('returns', 'en', 'my refund was for the wrong amount, I returned both items not one'),
    ('returns', 'en', 'can I still return the coat after wearing it once indoors to try'),
    ('returns', 'en', 'the returns portal says my order isn''t eligible, why not'),
    ('returns', 'en', 'screen cracked on arrival, want a new one'),
    ('payment', 'en', 'Hello,

The invoice for order 88012 shows VAT at 20% but we''re a registered business in Ireland and should be zero-rated. Please reissue it with our VAT number IE1234567T.

Regards,
Siobhan Murphy
Accounts Payable'),
    ('payment', 'en', 'charged 3 times for 1 order?!?! sort it out'),
    ('payment', 'en', 'does your site accept Maestro cards'),
    ('payment', 'en', 'my paypal was charged but your site says payment pending'),
    ('payment', 'en', 'can I pay the deposit now and the rest on delivery'),
    ('payment', 'en', 'the 10% welcome code didn''t work and I was charged full price'),
    ('payment', 'en', 'refund for my cancelled order hasn''t arrived after 10 days'),
    ('payment', 'en', 'is it possible to get a receipt without the prices, it''s a gift'),
    ('payment', 'en', 'my payment keeps getting declined with code 05, what does that mean'),
    ('payment', 'en', 'I was charged in euros on a UK card, can you refund the fees'),
    ('payment', 'en', 'how do I pay with a bank transfer, I don''t have a card'),
    ('payment', 'en', 'you charged my card before the item shipped, is that normal'),
    ('consultation', 'en', 'Hi there,

I''m looking for a gift for my mum''s 70th. She loves gardening and reading. Budget around £80. What would you suggest?

Many thanks,
Claire
Sent from my iPad'),
    ('consultation', 'en', 'which of your mattresses is best for a heavy person'),
    ('consultation', 'en', 'trying to decide between the two air purifiers for a bedroom with a cat, which one'),
    ('consultation', 'en', 'what would look good on a long white wall in a hallway'),
    ('consultation', 'en', 'which duvet tog would you go for in a cold old house'),
    ('consultation', 'en', 'I need shoes for a wedding where I''ll stand for hours, any recommendation'),
    ('consultation', 'en', 'what''s the best coffee grinder for a beginner'),
    ('consultation', 'en', 'any tips on choosing a sofa fabric with two cats'),
    ('consultation', 'en', 'which set of pans would you pick for an induction hob and a small budget'),
    ('consultation', 'en', 'what would you recommend for a child who is scared of the dark'),
    ('consultation', 'en', 'which suitcase is best for carry-on with cheap airlines'),
    ('consultation', 'en', 'we have a small dark living room, what colour sofa would brighten it'),
    ('technical', 'uk', 'Добрий день,

сайт видає "Error 403 forbidden", коли відкриваю кабінет з роботи. Вдома все ок. Мій IP заблоковано?

Дякую,
Тарас Ковальчук
Надіслано з iPhone'),
    ('technical', 'uk', 'додаток чомусь іспанською і я не можу найти де поміняти мову'),
    ('technical', 'uk', 'логін знову не работає, пише забагато спроб, хоча я пробувала раз'),
    ('technical', 'uk', 'checkout page крутиться безкінечно в safari на айфоні'),
    ('technical', 'uk', 'апка вилітає коли натискаю оплатити через apple pay'),
    ('technical', 'uk', 'кнопки на сайті налазять одна на одну на маленькому ноуті, не можу нажати далі'),
    ('technical', 'uk', 'сайт пише що браузер застарів, але в мене останній chrome'),
    ('technical', 'uk', 'в кабінеті видно замовлення з 2019, а нових нема'),
    ('technical', 'uk', 'код підтвердження в смс приходить якимись ієрогліфами'),
    ('technical', 'uk', 'всі посилання в розсилці відкривають пусту сторінку'),
    ('technical', 'uk', 'після сьогоднішнього апдейту додаток завис на заставці, перевстановлював двічі'),
    ('technical', 'uk', 'Вітаю,

зареєструвалась учора, але лист активації не прийшов. Спам перевірила, адреса правильна.

Дякую,
Марина Лисенко
--
Студія дизайну інтер''єру'),
    ('product', 'uk', 'Добрий день,

перед замовленням: комод з горіха справжній чи шпон на МДФ? І яка висота полиці всередині, хочу зберігати платівки.

Дякую,
Данило
--
Данило, Львів'),
    ('product', 'uk', 'у кавоварки є манометр?'),
    ('product', 'uk', 'сукня з підкладкою? на фото тканина трохи просвічує'),
    ('product', 'uk', 'скільки ват у фена'),
    ('product', 'uk', 'килим сильно линяє?'),
    ('product', 'uk', 'дитячий велосипед підійде шестирічці зростом 115 см?'),
    ('product', 'uk', 'куртка для бігу має світловідбивні елементи? бігаю по темному'),
    ('product', 'uk', 'чавунна каструля емальована всередині?'),
    ('product', 'uk', 'на дивані-ліжку можна спати щодня чи тільки для гостей'),
    ('product', 'uk', 'килимок для йоги не ковзає, коли мокрий?'),
    ('product', 'uk', 'навушники працюють і по кабелю чи тільки bluetooth'),
    ('product', 'uk', 'яка гарантія на матрац і чи це повна заміна'),
    ('ordering', 'uk', 'Шановні,

сьогодні зранку оформила замовлення 45510, але хочу перенести доставку на наступну суботу, бо до того мене не буде. Це можливо?

З повагою,
Оксана Гуменюк
--
Надіслано з Outlook'),
    ('ordering', 'uk', 'відміна відміна, неправильна адреса в замовленні 30044, не відправляйте'),
    ('ordering', 'uk', 'хочу купити 3 лампи, а сайт дає додати в кошик лише 2'),
    ('ordering', 'uk', 'можна додати друге гравіювання до замовлення годину тому'),
    ('ordering', 'uk', 'замовила по помилці зі старого акаунта, перенесіть замовлення на новий'),
    ('ordering', 'uk', 'можна замовити зараз, а оплатити коли буде в наявності'),
    ('ordering', 'uk', 'можна поміняти ліжко в замовленні на більшу раму поки не спакували'),
    ('ordering', 'uk', 'Привіт, хочу повторити минуломісячне замовлення канцелярії, ті самі кількості. Дякую, Ірина (офіс-менеджер)'),
    ('ordering', 'uk', 'приберіть з замовлення безкоштовний пробник, у мене алергія'),
    ('ordering', 'uk', 'чоловік теж сьогодні замовив такий самий стіл, скасуйте одне'),
    ('ordering', 'uk', 'можна забронювати диван у магазині і оплатити онлайн'),
    ('ordering', 'uk', 'змініть ім''я в замовленні з Саші на Олександру'),
    ('delivery', 'uk', 'Вітаю,

у трекінгу пише "проблема з доставкою — неповна адреса", але адреса правильна (кв. 4Б, вул. Млинова, 22). Розберіться з перевізником, будь ласка.

Дякую,
Аміна
Надіслано з Samsung Galaxy'),
    ('delivery', 'uk', 'кур''єр лишив посилку надворі під дощем, все намокло'),
    ('delivery', 'uk', 'скільки їде доставка в Канаду і чи треба платити мито'),
    ('delivery', 'uk', 'вже тиждень статус "очікує відправки", коли реально відправите'),
    ('delivery', 'uk', 'можна доставку після 18:00, я цілий день на роботі'),
    ('delivery', 'uk', 'трекінг посилки завис у Німеччині вже 8 днів'),
    ('delivery', 'uk', 'водій приїхав, але відмовився нести коробку до дверей'),
    ('delivery', 'uk', 'доставляєте в Молдову?'),
    ('delivery', 'uk', 'прийшла смс що доставка завтра, а я замовляв на наступний день, то як'),
    ('delivery', 'uk', 'посилку позначено як повернуту відправнику, чому??'),
    ('delivery', 'uk', 'можна самому забрати замовлення з вашого складу'),
    ('delivery', 'uk', 'посилку доставили на пошту замість додому'),
    ('returns', 'uk', 'Шановна служба підтримки,

стільці прийшли вчора, у двох тріснуті ніжки. Хочу заміну цих двох або повернення грошей за них.

З повагою,
Роман Кларк
--
+380 67 123 45 67'),
    ('returns', 'uk', 'хочу вернути кросівки, натирають п''ятку'),
    ('returns', 'uk', 'в комплекті постільної нема наволочок, дошліть або поверніть гроші'),
    ('returns', 'uk', 'повернула чайник у магазин, коли гроші прийдуть на картку'),
    ('returns', 'uk', 'дзеркало приїхало розбите, треба відправляти уламки назад?'),
    ('returns', 'uk', 'можна обміняти светр на інший колір, той самий розмір'),
    ('returns', 'uk', 'сукня прийшла 42 розміру, а я замовляла 44'),
    ('returns', 'uk', 'тостер підсмажує лише з одного боку, брак'),
    ('returns', 'uk', 'повернули гроші не за те, я повертала обидва товари'),
    ('returns', 'uk', 'можна ще повернути пальто, якщо раз приміряла вдома'),
    ('returns', 'uk', 'портал повернень пише що моє замовлення не підлягає поверненню, чому'),
    ('returns', 'uk', 'екран тріснутий з коробки, хочу новий'),
    ('payment', 'uk', 'Добрий день,

у рахунку за замовлення 88012 ПДВ 20%, але ми платник єдиного податку. Перевиставте, будь ласка, рахунок без ПДВ на ФОП Мельник О.П.

З повагою,
Ольга, бухгалтерія'),
    ('payment', 'uk', 'зняли 3 рази за 1 замовлення?!?! розберіться'),
    ('payment', 'uk', 'ви приймаєте картки Maestro'),
    ('payment', 'uk', 'з paypal зняли, а на сайті оплата в очікуванні'),
    ('payment', 'uk', 'можна внести передоплату зараз, а решту при отриманні'),
    ('payment', 'uk', 'вітальний код на 10% не спрацював, списали повну суму'),
    ('payment', 'uk', 'гроші за скасоване замовлення не прийшли вже 10 днів'),
    ('payment', 'uk', 'можна чек без цін, це подарунок'),
    ('payment', 'uk', 'оплату відхиляє з кодом 05, що це значить'),
    ('payment', 'uk', 'зняли в євро з гривневої картки, поверніть комісію'),
    ('payment', 'uk', 'як оплатити переказом на рахунок, картки нема'),
    ('payment', 'uk', 'ви зняли гроші ще до відправки, це нормально?'),
    ('consultation', 'uk', 'Привіт,

шукаю подарунок мамі на 70-річчя. Вона любить садівництво і читати. Бюджет близько 3000 грн. Що порадите?

Дякую,
Клара
Надіслано з iPad'),
    ('consultation', 'uk', 'який матрац найкращий для людини з великою вагою'),
    ('consultation', 'uk', 'не можу вибрати між двома очищувачами повітря для спальні з котом, який'),
    ('consultation', 'uk', 'що гарно виглядатиме на довгій білій стіні в коридорі'),
    ('consultation', 'uk', 'яку ковдру порадите в холодний старий будинок'),
    ('consultation', 'uk', 'потрібні туфлі на весілля, де стоятиму годинами, що порадите'),
    ('consultation', 'uk', 'яка кавомолка найкраща для початківця'),
    ('consultation', 'uk', 'як вибрати тканину дивана, якщо вдома два коти'),
    ('consultation', 'uk', 'який набір каструль взяти під індукцію з малим бюджетом'),
    ('consultation', 'uk', 'що порадите дитині, яка боїться темряви'),
    ('consultation', 'uk', 'яка валіза найкраща як ручна поклажа для лоукостів'),
    ('consultation', 'uk', 'у нас маленька темна вітальня, який колір дивана її освітлить'),
    ('technical', 'ru', 'Добрый день,

сайт выдаёт "Error 403 forbidden", когда захожу в кабинет с работы. Дома всё ок. Мой IP заблокирован?

Спасибо,
Тимур
Отправлено с iPhone'),
    ('technical', 'ru', 'приложение почему-то на испанском, не могу найти где сменить язык'),
    ('technical', 'ru', 'логин опять не работает, пишет слишком много попыток, хотя я пробовала один раз'),
    ('technical', 'ru', 'checkout крутится бесконечно в safari на айфоне'),
    ('technical', 'ru', 'апп крашится когда жму оплатить через apple pay'),
    ('technical', 'ru', 'кнопки на сайте наезжают друг на друга на маленьком ноуте, не могу нажать далее'),
    ('technical', 'ru', 'сайт пишет что браузер устарел, но у меня последний chrome'),
    ('technical', 'ru', 'в кабинете видны заказы с 2019, а новых нет'),
    ('technical', 'ru', 'код подтверждения в смс приходит кракозябрами'),
    ('technical', 'ru', 'все ссылки в рассылке открывают пустую страницу'),
    ('technical', 'ru', 'после сегодняшнего апдейта приложение зависло на заставке, переустанавливал дважды'),
    ('technical', 'ru', 'Здравствуйте,

зарегистрировалась вчера, но письмо активации не пришло. Спам проверила, адрес верный.

Спасибо,
Марина
--
Студия дизайна интерьера'),
    ('product', 'ru', 'Добрый день,

перед заказом: комод из ореха настоящий или шпон на МДФ? И какая высота полки внутри, хочу хранить пластинки.

Спасибо,
Даниил
--
Даниил, Казань'),
    ('product', 'ru', 'у кофемашины есть манометр?'),
    ('product', 'ru', 'платье на подкладке? на фото ткань немного просвечивает'),
    ('product', 'ru', 'сколько ватт у фена'),
    ('product', 'ru', 'ковер сильно линяет?'),
    ('product', 'ru', 'детский велосипед подойдет шестилетке ростом 115 см?'),
    ('product', 'ru', 'у беговой куртки есть светоотражающие элементы? бегаю в темноте'),
    ('product', 'ru', 'чугунная кастрюля эмалированная внутри?'),
    ('product', 'ru', 'на диване-кровати можно спать каждый день или только для гостей'),
    ('product', 'ru', 'коврик для йоги не скользит, когда мокрый?'),
    ('product', 'ru', 'наушники работают и по кабелю или только bluetooth'),
    ('product', 'ru', 'какая гарантия на матрас и это полная замена'),
    ('ordering', 'ru', 'Уважаемые,

сегодня утром оформила заказ 45510, но хочу перенести доставку на следующую субботу, до этого меня не будет. Это возможно?

С уважением,
Оксана
--
Отправлено из Outlook'),
    ('ordering', 'ru', 'отмена отмена, неправильный адрес в заказе 30044, не отправляйте'),
    ('ordering', 'ru', 'хочу купить 3 лампы, а сайт дает добавить в корзину только 2'),
    ('ordering', 'ru', 'можно добавить вторую гравировку к заказу час назад'),
    ('ordering', 'ru', 'заказала по ошибке со старого аккаунта, перенесите заказ на новый'),
    ('ordering', 'ru', 'можно заказать сейчас, а оплатить когда появится в наличии'),
    ('ordering', 'ru', 'можно поменять кровать в заказе на большую раму пока не упаковали'),
    ('ordering', 'ru', 'Привет, хочу повторить заказ канцелярии прошлого месяца, те же количества. Спасибо, Ирина (офис-менеджер)'),
    ('ordering', 'ru', 'уберите из заказа бесплатный пробник, у меня аллергия'),
    ('ordering', 'ru', 'муж тоже сегодня заказал такой же стол, отмените один'),
    ('ordering', 'ru', 'можно забронировать диван в магазине и оплатить онлайн'),
    ('ordering', 'ru', 'поменяйте имя в заказе с Саши на Александру'),
    ('delivery', 'ru', 'Здравствуйте,

в трекинге пишет "проблема с доставкой — неполный адрес", но адрес верный (кв. 4Б, ул. Мельничная, 22). Разберитесь с перевозчиком, пожалуйста.

Спасибо,
Амина
Отправлено с Samsung Galaxy'),
    ('delivery', 'ru', 'курьер оставил посылку на улице под дождем, все промокло'),
    ('delivery', 'ru', 'сколько идет доставка в Канаду и надо ли платить пошлину'),
    ('delivery', 'ru', 'уже неделю статус "ожидает отправки", когда реально отправите'),
    ('delivery', 'ru', 'можно доставку после 18:00, я весь день на работе'),
    ('delivery', 'ru', 'трекинг посылки завис в Германии уже 8 дней'),
    ('delivery', 'ru', 'водитель приехал, но отказался нести коробку до двери'),
    ('delivery', 'ru', 'доставляете в Армению?'),
    ('delivery', 'ru', 'пришла смс что доставка завтра, а я заказывал на следующий день, так как'),
    ('delivery', 'ru', 'посылка помечена как возвращенная отправителю, почему??'),
    ('delivery', 'ru', 'можно самому забрать заказ с вашего склада'),
    ('delivery', 'ru', 'посылку доставили на почту вместо дома'),
    ('returns', 'ru', 'Уважаемая служба поддержки,

стулья пришли вчера, у двух треснули ножки. Хочу замену этих двух или возврат денег за них.

С уважением,
Роман
--
+7 916 123 45 67'),
    ('returns', 'ru', 'хочу вернуть кроссовки, натирают пятку'),
    ('returns', 'ru', 'в комплекте постельного нет наволочек, дошлите или верните деньги'),
    ('returns', 'ru', 'вернула чайник в магазин, когда деньги придут на карту'),
    ('returns', 'ru', 'зеркало приехало разбитым, надо отправлять осколки обратно?'),
    ('returns', 'ru', 'можно обменять свитер на другой цвет, тот же размер'),
    ('returns', 'ru', 'платье пришло 42 размера, а я заказывала 44'),
    ('returns', 'ru', 'тостер поджаривает только с одной стороны, брак'),
    ('returns', 'ru', 'вернули деньги не за то, я возвращала оба товара'),
    ('returns', 'ru', 'можно еще вернуть пальто, если раз примерила дома'),
    ('returns', 'ru', 'портал возвратов пишет что мой заказ не подлежит возврату, почему'),
    ('returns', 'ru', 'экран треснутый прямо из коробки, хочу новый'),
    ('payment', 'ru', 'Добрый день,

в счете по заказу 88012 НДС 20%, но мы на упрощенке. Перевыставьте, пожалуйста, счет без НДС на ИП Мельникова О.П.

С уважением,
Ольга, бухгалтерия'),
    ('payment', 'ru', 'сняли 3 раза за 1 заказ?!?! разберитесь'),
    ('payment', 'ru', 'вы принимаете карты Maestro'),
    ('payment', 'ru', 'с paypal списали, а на сайте оплата в ожидании'),
    ('payment', 'ru', 'можно внести предоплату сейчас, а остальное при получении'),
    ('payment', 'ru', 'приветственный код на 10% не сработал, списали полную сумму'),
    ('payment', 'ru', 'деньги за отмененный заказ не пришли уже 10 дней'),
    ('payment', 'ru', 'можно чек без цен, это подарок'),
    ('payment', 'ru', 'оплату отклоняет с кодом 05, что это значит'),
    ('payment', 'ru', 'сняли в евро с рублевой карты, верните комиссию'),
    ('payment', 'ru', 'как оплатить переводом на счет, карты нет'),
    ('payment', 'ru', 'вы списали деньги еще до отправки, это нормально?'),
    ('consultation', 'ru', 'Привет,

ищу подарок маме на 70-летие. Она любит сад и читать. Бюджет около 8000 рублей. Что посоветуете?

Спасибо,
Клара
Отправлено с iPad'),
    ('consultation', 'ru', 'какой матрас лучше для человека с большим весом'),
    ('consultation', 'ru', 'не могу выбрать между двумя очистителями воздуха для спальни с котом, какой'),
    ('consultation', 'ru', 'что красиво будет смотреться на длинной белой стене в коридоре'),
    ('consultation', 'ru', 'какое одеяло посоветуете в холодный старый дом'),
    ('consultation', 'ru', 'нужны туфли на свадьбу, где буду стоять часами, что посоветуете'),
    ('consultation', 'ru', 'какая кофемолка лучше для новичка'),
    ('consultation', 'ru', 'как выбрать ткань дивана, если дома два кота'),
    ('consultation', 'ru', 'какой набор кастрюль взять под индукцию с маленьким бюджетом'),
    ('consultation', 'ru', 'что посоветуете ребенку, который боится темноты'),
    ('consultation', 'ru', 'какой чемодан лучше как ручная кладь для лоукостеров'),
    ('consultation', 'ru', 'у нас маленькая темная гостиная, какой цвет дивана ее осветлит'),
    ('technical', 'pl', 'Dzień dobry,

strona wyświetla "Error 403 forbidden", gdy wchodzę na konto z pracy. W domu działa. Czy moje IP jest zablokowane?

Dzięki,
Tomek
Wysłane z iPhone''a'),
    ('technical', 'pl', 'aplikacja jest po hiszpańsku i nie mogę znaleźć gdzie zmienić język'),
    ('technical', 'pl', 'logowanie znowu nie działa, pisze too many attempts a próbowałam raz'),
    ('technical', 'pl', 'checkout kręci się w nieskończoność w safari na iphonie'),
    ('technical', 'pl', 'apka się crashuje jak klikam zapłać przez apple pay'),
    ('technical', 'pl', 'przyciski na stronie nachodzą na siebie na małym laptopie, nie mogę kliknąć dalej'),
    ('technical', 'pl', 'strona pisze że przeglądarka jest nieaktualna, a mam najnowszego chrome'),
    ('technical', 'pl', 'na koncie widać zamówienia z 2019, a nowych nie ma'),
    ('technical', 'pl', 'kod weryfikacyjny w sms przychodzi w krzaczkach'),
    ('technical', 'pl', 'wszystkie linki w newsletterze otwierają pustą stronę'),
    ('technical', 'pl', 'po dzisiejszym update aplikacja zawiesza się na ekranie startowym, reinstalowałem dwa razy'),
    ('technical', 'pl', 'Dzień dobry,

zarejestrowałam się wczoraj, ale mail aktywacyjny nie przyszedł. Spam sprawdziłam, adres poprawny.

Dziękuję,
Marta Lis
--
Studio projektowania wnętrz'),
    ('product', 'pl', 'Dzień dobry,

przed zamówieniem: komoda z orzecha to lite drewno czy fornir na MDF? I jaka jest wysokość półki w środku, chcę trzymać płyty winylowe.

Dzięki,
Daniel
--
Daniel, Wrocław'),
    ('product', 'pl', 'czy ekspres ma manometr'),
    ('product', 'pl', 'czy sukienka ma podszewkę? na zdjęciach materiał trochę prześwituje'),
    ('product', 'pl', 'ile watów ma suszarka'),
    ('product', 'pl', 'czy dywan mocno się mechaci i gubi włosie'),
    ('product', 'pl', 'czy rower dziecięcy pasuje na sześciolatka 115 cm wzrostu'),
    ('product', 'pl', 'czy kurtka do biegania ma elementy odblaskowe? biegam po ciemku'),
    ('product', 'pl', 'czy garnek żeliwny jest emaliowany w środku'),
    ('product', 'pl', 'czy na sofie rozkładanej da się spać codziennie czy tylko dla gości'),
    ('product', 'pl', 'czy mata do jogi nie ślizga się na mokro'),
    ('product', 'pl', 'czy słuchawki działają też na kabel czy tylko bluetooth'),
    ('product', 'pl', 'jaka jest gwarancja na materac i czy to pełna wymiana'),
    ('ordering', 'pl', 'Szanowni Państwo,

dziś rano złożyłam zamówienie 45510, ale chcę przełożyć dostawę na przyszłą sobotę, bo do tego czasu mnie nie będzie. Czy to możliwe?

Pozdrawiam,
Oksana
--
Wysłane z Outlooka'),
    ('ordering', 'pl', 'cancel cancel, zły adres w zamówieniu 30044, nie wysyłajcie'),
    ('ordering', 'pl', 'chcę kupić 3 lampy, a strona pozwala dodać do koszyka tylko 2'),
    ('ordering', 'pl', 'czy mogę dodać drugi grawer do zamówienia sprzed godziny'),
    ('ordering', 'pl', 'zamówiłam przez pomyłkę ze starego konta, przenieście zamówienie na nowe'),
    ('ordering', 'pl', 'czy mogę zamówić teraz a zapłacić jak będzie dostępne'),
    ('ordering', 'pl', 'czy można zamienić łóżko w zamówieniu na większą ramę zanim spakujecie'),
    ('ordering', 'pl', 'Cześć, chcę powtórzyć zamówienie artykułów biurowych z zeszłego miesiąca, te same ilości. Dzięki, Iza (office manager)'),
    ('ordering', 'pl', 'usuńcie z zamówienia darmową próbkę, mam alergię'),
    ('ordering', 'pl', 'mąż też dziś zamówił ten sam stół, anulujcie jedno'),
    ('ordering', 'pl', 'czy mogę zarezerwować sofę w sklepie i zapłacić online'),
    ('ordering', 'pl', 'zmieńcie imię w zamówieniu z Ola na Aleksandra'),
    ('delivery', 'pl', 'Dzień dobry,

w śledzeniu jest "problem z doręczeniem – niepełny adres", ale adres jest dobry (m. 4B, ul. Młyńska 22). Proszę to wyjaśnić z kurierem.

Dzięki,
Amina
Wysłane z Samsung Galaxy'),
    ('delivery', 'pl', 'kurier zostawił paczkę na dworze w deszczu, wszystko mokre'),
    ('delivery', 'pl', 'ile idzie przesyłka do Kanady i czy trzeba płacić cło'),
    ('delivery', 'pl', 'od tygodnia status "oczekuje na wysyłkę", kiedy naprawdę wyślecie'),
    ('delivery', 'pl', 'czy możliwa dostawa po 18:00, cały dzień jestem w pracy'),
    ('delivery', 'pl', 'śledzenie paczki stoi w Niemczech od 8 dni'),
    ('delivery', 'pl', 'kierowca przyjechał, ale odmówił zaniesienia kartonu pod drzwi'),
    ('delivery', 'pl', 'czy wysyłacie do Czech'),
    ('delivery', 'pl', 'przyszedł sms że dostawa jutro, a zamawiałem na następny dzień, to jak'),
    ('delivery', 'pl', 'paczka oznaczona jako zwrócona do nadawcy, dlaczego??'),
    ('delivery', 'pl', 'czy mogę sam odebrać zamówienie z waszego magazynu'),
    ('delivery', 'pl', 'paczkę dostarczono na pocztę zamiast do domu'),
    ('returns', 'pl', 'Szanowni Państwo,

krzesła przyszły wczoraj, dwa mają pęknięte nogi. Proszę o wymianę tych dwóch albo zwrot pieniędzy za nie.

Z poważaniem,
Roman Nowicki
--
tel. 601 234 567'),
    ('returns', 'pl', 'chcę oddać buty sportowe, obcierają piętę'),
    ('returns', 'pl', 'w komplecie pościeli brak poszewek, doślijcie albo oddajcie pieniądze'),
    ('returns', 'pl', 'oddałam czajnik w sklepie, kiedy pieniądze wrócą na kartę'),
    ('returns', 'pl', 'lustro przyjechało rozbite, czy mam odsyłać kawałki'),
    ('returns', 'pl', 'czy mogę wymienić sweter na inny kolor w tym samym rozmiarze'),
    ('returns', 'pl', 'sukienka przyszła w rozmiarze 36, a zamawiałam 38'),
    ('returns', 'pl', 'toster przypieka tylko z jednej strony, jest wadliwy'),
    ('returns', 'pl', 'zwrócono mi złą kwotę, odesłałam oba produkty'),
    ('returns', 'pl', 'czy mogę jeszcze zwrócić płaszcz, jeśli raz przymierzyłam w domu'),
    ('returns', 'pl', 'portal zwrotów pisze że moje zamówienie nie kwalifikuje się do zwrotu, czemu'),
    ('returns', 'pl', 'ekran pęknięty prosto z pudełka, chcę nowy'),
    ('payment', 'pl', 'Dzień dobry,

na fakturze do zamówienia 88012 jest VAT 23%, a jesteśmy firmą z Niemiec z numerem VAT UE, powinno być odwrotne obciążenie. Proszę o korektę, nasz numer DE123456789.

Pozdrawiam,
Sabina, księgowość'),
    ('payment', 'pl', 'pobraliście 3 razy za 1 zamówienie?!?! ogarnijcie to'),
    ('payment', 'pl', 'czy akceptujecie karty Maestro'),
    ('payment', 'pl', 'z paypala zeszło, a na stronie płatność oczekuje'),
    ('payment', 'pl', 'czy mogę wpłacić zaliczkę teraz a resztę przy odbiorze'),
    ('payment', 'pl', 'kod powitalny -10% nie zadziałał, pobrano pełną kwotę'),
    ('payment', 'pl', 'pieniądze za anulowane zamówienie nie przyszły od 10 dni'),
    ('payment', 'pl', 'czy można paragon bez cen, to prezent'),
    ('payment', 'pl', 'płatność odrzucana z kodem 05, co to znaczy'),
    ('payment', 'pl', 'pobrano w euro z karty złotówkowej, zwróćcie prowizję'),
    ('payment', 'pl', 'jak zapłacić przelewem na konto, nie mam karty'),
    ('payment', 'pl', 'pobraliście pieniądze przed wysyłką, to normalne?'),
    ('consultation', 'pl', 'Cześć,

szukam prezentu dla mamy na 70. urodziny. Lubi ogród i czytać. Budżet około 400 zł. Co polecacie?

Dzięki,
Klara
Wysłane z iPada'),
    ('consultation', 'pl', 'który materac najlepszy dla osoby o dużej wadze'),
    ('consultation', 'pl', 'nie mogę wybrać między dwoma oczyszczaczami powietrza do sypialni z kotem, który'),
    ('consultation', 'pl', 'co ładnie będzie wyglądać na długiej białej ścianie w korytarzu'),
    ('consultation', 'pl', 'jaką kołdrę polecacie do zimnego starego domu'),
    ('consultation', 'pl', 'potrzebuję butów na wesele, gdzie będę stać godzinami, co polecacie'),
    ('consultation', 'pl', 'jaki młynek do kawy najlepszy dla początkującego'),
    ('consultation', 'pl', 'jak wybrać tkaninę kanapy, jeśli w domu są dwa koty'),
    ('consultation', 'pl', 'jaki zestaw garnków wziąć na indukcję przy małym budżecie'),
    ('consultation', 'pl', 'co polecacie dla dziecka, które boi się ciemności'),
    ('consultation', 'pl', 'jaka walizka najlepsza jako bagaż podręczny w tanich liniach'),
    ('consultation', 'pl', 'mamy mały ciemny salon, jaki kolor kanapy go rozjaśni'),
    ('technical', 'ar', 'مرحبا،

الموقع يطلع "Error 403 forbidden" لما أفتح حسابي من الدوام، في البيت عادي. هل الـ IP حقي محظور؟

شكرا،
طارق
أرسلت من iPhone'),
    ('technical', 'ar', 'التطبيق صار بالإسباني وما ألقى وين أغير اللغة'),
    ('technical', 'ar', 'الـ login ما يشتغل مرة ثانية، يقول too many attempts وأنا جربت مرة وحدة'),
    ('technical', 'ar', 'صفحة الـ checkout تلف بدون نهاية في سفاري على الآيفون'),
    ('technical', 'ar', 'الأبلكيشن يقفل لما أضغط ادفع بـ apple pay'),
    ('technical', 'ar', 'الأزرار في الموقع فوق بعض على اللابتوب الصغير وما أقدر أضغط التالي'),
    ('technical', 'ar', 'الموقع يقول المتصفح قديم وأنا عندي آخر نسخة كروم'),
    ('technical', 'ar', 'في حسابي تطلع طلبات 2019 بس الجديدة لا'),
    ('technical', 'ar', 'كود التحقق في الرسالة يوصل رموز غريبة'),
    ('technical', 'ar', 'كل الروابط في النشرة تفتح صفحة فاضية'),
    ('technical', 'ar', 'بعد تحديث اليوم التطبيق وقف على شاشة البداية، نزلته مرتين'),
    ('technical', 'ar', 'السلام عليكم،

سجلت أمس بس إيميل التفعيل ما وصل. شيكت السبام والعنوان صحيح.

شكرا،
مريم
--
استوديو تصميم داخلي'),
    ('product', 'ar', 'مرحبا،

قبل ما أطلب: الكومدينو خشب جوز طبيعي ولا قشرة على MDF؟ وكم ارتفاع الرف من جوا؟ أبغى أحط فيه أسطوانات.

شكرا،
دانيال
--
دانيال، جدة'),
    ('product', 'ar', 'مكينة الإسبريسو فيها عداد ضغط؟'),
    ('product', 'ar', 'الفستان مبطن؟ في الصور القماش شفاف شوي'),
    ('product', 'ar', 'كم واط السشوار'),
    ('product', 'ar', 'السجادة تنسل وبرها كثير؟'),
    ('product', 'ar', 'دراجة الأطفال تناسب ولد عمره 6 طوله 115 سم؟'),
    ('product', 'ar', 'جاكيت الجري فيه عاكس؟ أجري بالليل'),
    ('product', 'ar', 'قدر الحديد الزهر مطلي مينا من جوا؟'),
    ('product', 'ar', 'الكنبة السرير ينفع النوم عليها كل يوم ولا للضيوف بس'),
    ('product', 'ar', 'مفرش اليوغا ما يزحلق لما يكون مبلول؟'),
    ('product', 'ar', 'السماعات تشتغل بسلك بعد ولا بلوتوث بس'),
    ('product', 'ar', 'كم الضمان على المرتبة وهل يشمل استبدال كامل'),
    ('ordering', 'ar', 'السادة المحترمين،

سويت الطلب 45510 الصبح بس أبغى أأجل التوصيل للسبت الجاي لأني مسافرة لين ذاك اليوم. ممكن؟

مع التحية،
أسماء
--
أرسلت من Outlook'),
    ('ordering', 'ar', 'cancel cancel، العنوان غلط في الطلب 30044 لا ترسلونه'),
    ('ordering', 'ar', 'أبغى أشتري 3 لمبات والموقع يخليني أضيف 2 بس للسلة'),
    ('ordering', 'ar', 'أقدر أضيف حفر ثاني للطلب اللي سويته قبل ساعة'),
    ('ordering', 'ar', 'طلبت بالغلط من حسابي القديم، انقلوا الطلب للجديد'),
    ('ordering', 'ar', 'أقدر أطلب الحين وأدفع لما يتوفر'),
    ('ordering', 'ar', 'ممكن أبدل السرير في الطلب بالمقاس الأكبر قبل التغليف'),
    ('ordering', 'ar', 'هلا، أبغى أعيد طلب أدوات المكتب حق الشهر اللي فات بنفس الكميات. شكرا، إيمان (مديرة المكتب)'),
    ('ordering', 'ar', 'شيلوا العينة المجانية من الطلب، عندي حساسية'),
    ('ordering', 'ar', 'زوجي بعد طلب نفس الطاولة اليوم، الغوا وحدة'),
    ('ordering', 'ar', 'أقدر أحجز كنبة في المعرض وأدفع أونلاين'),
    ('ordering', 'ar', 'غيروا الاسم في الطلب من سارا إلى سارة'),
    ('delivery', 'ar', 'السلام عليكم،

التتبع يقول "مشكلة في التوصيل - العنوان ناقص" بس العنوان صحيح (شقة 4ب، شارع الطاحونة 22). ممكن تحلونها مع شركة الشحن؟

شكرا،
أمينة
أرسلت من Samsung Galaxy'),
    ('delivery', 'ar', 'المندوب خلى الشحنة برا تحت المطر وكل شي تبلل'),
    ('delivery', 'ar', 'كم ياخذ الشحن لكندا وهل فيه جمارك'),
    ('delivery', 'ar', 'من أسبوع الحالة "بانتظار الشحن"، متى بتشحنون فعلا'),
    ('delivery', 'ar', 'ممكن التوصيل بعد الساعة 6 المسا، أنا في الدوام طول اليوم'),
    ('delivery', 'ar', 'تتبع الشحنة واقف في ألمانيا من 8 أيام'),
    ('delivery', 'ar', 'السواق جا بس رفض يوصل الكرتون لين الباب'),
    ('delivery', 'ar', 'توصلون البحرين؟'),
    ('delivery', 'ar', 'جتني رسالة إن التوصيل بكرة وأنا طالب توصيل اليوم الثاني، أي واحد صح'),
    ('delivery', 'ar', 'الشحنة مكتوب عليها راجعة للمرسل، ليش؟؟'),
    ('delivery', 'ar', 'أقدر أستلم الطلب بنفسي من المستودع'),
    ('delivery', 'ar', 'الشحنة وصلت مكتب البريد بدل البيت'),
    ('returns', 'ar', 'خدمة العملاء المحترمين،

الكراسي وصلت أمس واثنين منها رجولها مشقوقة. أبغى بدالهم أو استرجاع فلوسهم.

مع التحية،
رامي
--
0501234567'),
    ('returns', 'ar', 'أبغى أرجع الجزمة الرياضية، تجرح كعبي'),
    ('returns', 'ar', 'طقم المفارش ناقص أكياس المخدات، أرسلوها أو رجعوا الفلوس'),
    ('returns', 'ar', 'رجعت الغلاية في الفرع، متى توصل الفلوس للبطاقة'),
    ('returns', 'ar', 'المراية وصلت مكسرة، لازم أرجع القطع؟'),
    ('returns', 'ar', 'أقدر أبدل البلوفر بلون ثاني نفس المقاس'),
    ('returns', 'ar', 'الفستان جا مقاس 38 وأنا طالبة 40'),
    ('returns', 'ar', 'التوستر يحمص من جهة وحدة بس، فيه عيب'),
    ('returns', 'ar', 'رجعتوا لي مبلغ غلط، أنا رجعت القطعتين'),
    ('returns', 'ar', 'أقدر أرجع المعطف إذا جربته مرة في البيت'),
    ('returns', 'ar', 'بوابة الإرجاع تقول طلبي غير قابل للإرجاع، ليش'),
    ('returns', 'ar', 'الشاشة مكسورة من الكرتون، أبغى وحدة جديدة'),
    ('payment', 'ar', 'مرحبا،

فاتورة الطلب 88012 فيها ضريبة 15% بس إحنا شركة مسجلة في الإمارات. نرجو إعادة إصدارها برقمنا الضريبي 100123456700003.

مع التحية،
سلمى، الحسابات'),
    ('payment', 'ar', 'خصمتوا 3 مرات على طلب واحد؟!؟! حلوها'),
    ('payment', 'ar', 'تقبلون بطاقات Maestro'),
    ('payment', 'ar', 'الـ paypal انخصم بس الموقع يقول الدفع معلق'),
    ('payment', 'ar', 'أقدر أدفع عربون الحين والباقي عند الاستلام'),
    ('payment', 'ar', 'كود الترحيب 10% ما اشتغل وانخصم المبلغ كامل'),
    ('payment', 'ar', 'فلوس الطلب الملغي ما وصلت من 10 أيام'),
    ('payment', 'ar', 'أقدر آخذ إيصال بدون أسعار، هدية'),
    ('payment', 'ar', 'الدفع ينرفض بكود 05، وش معناه'),
    ('payment', 'ar', 'انخصم باليورو من بطاقة بالريال، رجعوا الرسوم'),
    ('payment', 'ar', 'كيف أدفع بتحويل بنكي، ما عندي بطاقة'),
    ('payment', 'ar', 'خصمتوا الفلوس قبل الشحن، عادي؟'),
    ('consultation', 'ar', 'هلا،

أدور هدية لأمي لعيد ميلادها السبعين. تحب الزراعة والقراءة. الميزانية تقريبا 400 ريال. وش تقترحون؟

شكرا،
كلير
أرسلت من iPad'),
    ('consultation', 'ar', 'أي مرتبة أفضل لشخص وزنه ثقيل'),
    ('consultation', 'ar', 'محتارة بين جهازين تنقية هواء لغرفة نوم فيها قطة، أيهم'),
    ('consultation', 'ar', 'وش يطلع حلو على جدار أبيض طويل في الممر'),
    ('consultation', 'ar', 'أي لحاف تنصحون لبيت قديم بارد'),
    ('consultation', 'ar', 'أبغى جزمة لعرس بوقف فيه ساعات، وش تنصحون'),
    ('consultation', 'ar', 'أي مطحنة قهوة أفضل للمبتدئ'),
    ('consultation', 'ar', 'كيف أختار قماش الكنبة وعندي قطتين'),
    ('consultation', 'ar', 'أي طقم قدور آخذ للحث المغناطيسي بميزانية بسيطة'),
    ('consultation', 'ar', 'وش تنصحون لطفل يخاف من الظلام'),
    ('consultation', 'ar', 'أي شنطة أفضل كحقيبة يد للطيران الاقتصادي'),
    ('consultation', 'ar', 'عندنا صالة صغيرة ومظلمة، أي لون كنبة ينورها'),
    ('technical', 'zh', '你好，

我在公司打开账户页面，网站显示"Error 403 forbidden"，在家就没事。是我的IP被封了吗？

谢谢，
陈涛
发自我的iPhone'),
    ('technical', 'zh', 'APP突然变成西班牙语了，找不到在哪改语言'),
    ('technical', 'zh', 'login又不行了，提示too many attempts，可我只试了一次'),
    ('technical', 'zh', 'iPhone上safari的checkout页面一直转圈'),
    ('technical', 'zh', '用apple pay付款的时候app直接闪退'),
    ('technical', 'zh', '小笔记本上网站按钮重叠了，点不到下一步'),
    ('technical', 'zh', '网站说浏览器版本太旧，可我用的是最新的chrome'),
    ('technical', 'zh', '账户里只显示2019年的订单，最近的没有'),
    ('technical', 'zh', '短信验证码收到的是乱码'),
    ('technical', 'zh', 'newsletter里的链接点开都是空白页'),
    ('technical', 'zh', '今天update以后APP卡在启动页，重装了两次'),
    ('technical', 'zh', '您好，

我昨天注册的，激活邮件一直没收到，垃圾箱也看了，邮箱没写错。

谢谢，
林晓
--
室内设计工作室'),
    ('product', 'zh', '你好，

下单前想问一下：胡桃木边柜是实木还是MDF贴皮？里面的隔板高度多少，想放黑胶唱片。

谢谢，
丹尼
--
丹尼，杭州'),
    ('product', 'zh', '这台意式咖啡机有压力表吗'),
    ('product', 'zh', '这条裙子有内衬吗？照片上看布料有点透'),
    ('product', 'zh', '吹风机多少瓦'),
    ('product', 'zh', '地毯掉毛严重吗'),
    ('product', 'zh', '儿童自行车适合六岁、身高115厘米的孩子吗'),
    ('product', 'zh', '跑步外套有反光条吗？我晚上跑步'),
    ('product', 'zh', '铸铁锅内壁有搪瓷吗'),
    ('product', 'zh', '沙发床可以天天睡还是只适合客人'),
    ('product', 'zh', '瑜伽垫湿了会不会滑'),
    ('product', 'zh', '耳机能插线用还是只能蓝牙'),
    ('product', 'zh', '床垫保修多久，是整张换新吗'),
    ('ordering', 'zh', '您好，

我今天早上下了订单45510，想把送货日期改到下周六，之前我不在家。可以吗？

谢谢，
王芳
--
发自Outlook'),
    ('ordering', 'zh', 'cancel cancel，订单30044地址写错了，别发'),
    ('ordering', 'zh', '我要买3个台灯，网站只让加2个到购物车'),
    ('ordering', 'zh', '一小时前下的单能再加一个刻字吗'),
    ('ordering', 'zh', '不小心用旧账号下单了，帮我把订单转到新账号'),
    ('ordering', 'zh', '能先下单，等有货再付款吗'),
    ('ordering', 'zh', '打包前能把订单里的床换成大一号的床架吗'),
    ('ordering', 'zh', '你好，想按上个月的办公用品订单再订一次，数量一样。谢谢，小艾（行政）'),
    ('ordering', 'zh', '订单里的免费小样帮我去掉，我过敏'),
    ('ordering', 'zh', '我老公今天也订了同一张桌子，取消一个吧'),
    ('ordering', 'zh', '能在门店预留沙发然后网上付款吗'),
    ('ordering', 'zh', '订单上的名字从小萨改成萨曼莎'),
    ('delivery', 'zh', '你好，

物流显示"派送异常-地址不全"，但地址是对的（磨坊路22号4B室）。麻烦跟快递公司处理一下。

谢谢，
阿敏
发自Samsung Galaxy'),
    ('delivery', 'zh', '快递员把包裹放在外面淋雨了，全湿了'),
    ('delivery', 'zh', '寄到加拿大要多久，要交关税吗'),
    ('delivery', 'zh', '一个星期了还是"待发货"，到底什么时候发'),
    ('delivery', 'zh', '能下午6点以后送吗，我白天上班'),
    ('delivery', 'zh', '包裹物流在德国卡了8天'),
    ('delivery', 'zh', '司机来了但不肯把箱子搬到门口'),
    ('delivery', 'zh', '能寄到澳门吗'),
    ('delivery', 'zh', '收到短信说明天送，可我选的是次日达，到底哪天'),
    ('delivery', 'zh', '包裹显示退回寄件人，为什么？？'),
    ('delivery', 'zh', '能自己去你们仓库提货吗'),
    ('delivery', 'zh', '包裹送到邮局了，没送到家'),
    ('returns', 'zh', '客服你好，

餐椅昨天到了，有两把椅腿裂了。要么换这两把，要么退这两把的钱。

此致，
罗明
--
138 0013 8000'),
    ('returns', 'zh', '运动鞋磨脚后跟，想退'),
    ('returns', 'zh', '床品套装少了枕套，补发或者退钱'),
    ('returns', 'zh', '水壶在门店退了，钱什么时候到卡上'),
    ('returns', 'zh', '镜子到的时候碎了，碎片要寄回去吗'),
    ('returns', 'zh', '毛衣能换个颜色吗，尺码不变'),
    ('returns', 'zh', '收到的裙子是S码，我买的是M码'),
    ('returns', 'zh', '烤面包机只烤一面，是坏的'),
    ('returns', 'zh', '退款金额不对，我两件都退了'),
    ('returns', 'zh', '大衣在家试穿过一次还能退吗'),
    ('returns', 'zh', '退货页面说我的订单不能退，为什么'),
    ('returns', 'zh', '屏幕一拆开就是裂的，要换新的'),
    ('payment', 'zh', '你好，

订单88012的发票税率是13%，但我们是小规模纳税人，请按3%重新开票，税号91310000MA1234567X。

谢谢，
财务部 孙女士'),
    ('payment', 'zh', '一个订单扣了我3次钱？！？！赶紧处理'),
    ('payment', 'zh', '支持Maestro卡吗'),
    ('payment', 'zh', 'paypal已经扣款了，网站还显示付款处理中'),
    ('payment', 'zh', '能先付定金，剩下的货到付款吗'),
    ('payment', 'zh', '新人9折码没用上，扣了全款'),
    ('payment', 'zh', '取消订单的退款10天了还没到'),
    ('payment', 'zh', '能开一张不显示价格的小票吗，送礼用'),
    ('payment', 'zh', '付款总被拒，错误代码05是什么意思'),
    ('payment', 'zh', '用人民币卡被扣了欧元，手续费能退吗'),
    ('payment', 'zh', '没有银行卡，怎么转账付款'),
    ('payment', 'zh', '还没发货就扣钱了，正常吗'),
    ('consultation', 'zh', '你好，

想给妈妈七十大寿挑个礼物，她喜欢养花和看书，预算800元左右，有什么推荐？

谢谢，
克莱尔
发自iPad'),
    ('consultation', 'zh', '体重比较大的人睡哪款床垫好'),
    ('consultation', 'zh', '卧室养猫，两款空气净化器选哪个'),
    ('consultation', 'zh', '走廊一面很长的白墙挂什么好看'),
    ('consultation', 'zh', '老房子很冷，推荐什么被子'),
    ('consultation', 'zh', '婚礼上要站好几个小时，推荐什么鞋'),
    ('consultation', 'zh', '新手买什么磨豆机好'),
    ('consultation', 'zh', '家里有两只猫，沙发面料怎么选'),
    ('consultation', 'zh', '预算不多，电磁炉用哪套锅好'),
    ('consultation', 'zh', '孩子怕黑，有什么推荐'),
    ('consultation', 'zh', '廉航登机箱哪款最合适'),
    ('consultation', 'zh', '客厅小又暗，沙发选什么颜色显亮')
       ) AS v(category, language, text)
 WHERE EXISTS (SELECT 1 FROM categories c WHERE c.name = v.category)
 ORDER BY v.language, v.category;
