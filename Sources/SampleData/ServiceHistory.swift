public import Postgres

/// A shop's year of customer service, generated in SQL for the report's benchmark and the test
/// that the kept facts equal the straightforward query: two stores (`default`, whose report
/// calendar has weekday hours and holidays in Kyiv, and `outlet` in UTC), six teams, thirty agents,
/// conversations spread evenly over the period on every channel and in six languages, their
/// customers' and agents' messages (a bot's answer on every fifth), reopens, open ones, SLA targets,
/// and CSAT, NPS and CES surveys that reached the customer, some answered. Random from a fixed
/// seed, so two runs make the same history.
public enum ServiceHistory {
    /// The teams the conversations are spread among.
    public static let teams = ["Delivery", "Returns", "Payments", "Orders", "Products", "Accounts"]

    /// Adds `conversations` conversations that began from `days` days before `end` up to `end`.
    public static func generate(conversations: Int, days: Int = 365, end: String = "2026-12-01",
                                on connection: isolated PostgresConnection) throws {
        try connection.execute("SELECT setseed(0.5)")
        try connection.execute("""
            INSERT INTO stores (code, name, time_zone) VALUES ('outlet', 'Outlet', 'UTC') ON CONFLICT (code) DO NOTHING
            """)
        try connection.execute("""
            INSERT INTO business_calendars (name, time_zone) VALUES ('History office', 'Europe/Kyiv') ON CONFLICT (name) DO NOTHING
            """)
        try connection.execute("""
            INSERT INTO business_hours (calendar_id, weekday, opens, closes)
            SELECT c.id, d, '09:00', '18:00' FROM business_calendars c, generate_series(1, 5) d WHERE c.name = 'History office'
            ON CONFLICT DO NOTHING
            """)
        try connection.execute("""
            INSERT INTO business_holidays (calendar_id, day, name)
            SELECT c.id, h.day::date, h.name FROM business_calendars c,
                   (VALUES ('2026-01-01', 'New Year'), ('2026-03-08', 'Women''s Day'), ('2026-06-28', 'Constitution Day'),
                           ('2026-08-24', 'Independence Day'), ('2026-12-25', 'Christmas')) h(day, name)
             WHERE c.name = 'History office'
            ON CONFLICT DO NOTHING
            """)
        try connection.execute("""
            UPDATE stores SET time_zone = 'Europe/Kyiv', report_calendar_id = (SELECT id FROM business_calendars WHERE name = 'History office')
             WHERE code = 'default'
            """)
        try connection.execute("INSERT INTO teams (name) SELECT unnest(\(teams)::text[]) ON CONFLICT DO NOTHING")
        try connection.execute("""
            INSERT INTO agents (email, name)
            SELECT 'agent' || n || '@history.example', (ARRAY['Iryna', 'Tomasz', 'Lina', 'Oksana', 'Piotr', 'Amal', 'Wei', 'Olena',
                    'Marta', 'Dmytro'])[1 + n % 10] || ' ' || chr(65 + n / 10) || '.'
              FROM generate_series(0, 29) n
            ON CONFLICT DO NOTHING
            """)
        let customers = max(100, conversations / 8)
        try connection.execute("""
            INSERT INTO customers (store_id, name)
            SELECT CASE WHEN n % 7 = 0 THEN (SELECT id FROM stores WHERE code = 'outlet') ELSE (SELECT id FROM stores WHERE code = 'default') END,
                   'History customer ' || n
              FROM generate_series(0, \(customers) - 1) n
            """)
        // The customers just added, by number: customer n of the period is the n-th of them.
        try connection.execute("DROP TABLE IF EXISTS history_customers")
        try connection.execute("""
            CREATE TEMPORARY TABLE history_customers AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS number, id, store_id FROM customers WHERE name LIKE 'History customer %'
            """)
        try connection.execute("""
            INSERT INTO conversations (store_id, customer_id, channel, language, category, status, created_at, resolved_at, reopen_count,
                                       team_id, agent_id, first_response_due_at, resolution_due_at)
            SELECT hc.store_id, hc.id, (ARRAY['email', 'chat', 'sms', 'social', 'webform', 'phone'])[1 + n % 6],
                   (ARRAY['en', 'uk', 'ru', 'pl', 'ar', 'zh'])[1 + (n / 6) % 6],
                   (ARRAY['delivery', 'returns', 'payment', 'ordering', 'product', 'technical', 'consultation'])[1 + n % 7],
                   CASE WHEN open THEN 'open' ELSE 'resolved' END, at,
                   CASE WHEN NOT open THEN at + interval '5 minutes' + random() ^ 2 * interval '72 hours' END,
                   CASE WHEN n % 17 = 0 THEN 1 ELSE 0 END,
                   (SELECT id FROM teams WHERE name = (\(teams)::text[])[1 + n % 6]),
                   -- Agents on the resolved only: an open conversation would take a place of their capacity.
                   CASE WHEN NOT open THEN (SELECT id FROM agents WHERE email = 'agent' || (n * 7) % 30 || '@history.example') END,
                   at + interval '4 hours', at + interval '48 hours'
              FROM generate_series(0, \(conversations) - 1) n
             CROSS JOIN LATERAL (SELECT \(end)::timestamptz - \(days) * interval '1 day' * (1 - n::float8 / \(conversations))
                                        + random() * interval '1 hour' AS at) t
             CROSS JOIN LATERAL (SELECT n % 31 = 0 OR (t.at > \(end)::timestamptz - interval '3 days' AND n % 2 = 0) AS open) o
              JOIN history_customers hc ON hc.number = n % \(customers)
            """)
        // The customer's question, a bot's answer on every fifth, up to two agent replies (none
        // where the bot's answer was enough), and a follow-up question on every third.
        try connection.execute("""
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, agent_id, channel, body_text, created_at)
            SELECT c.store_id, c.id, m.direction, m.author, CASE WHEN m.author = 'agent' THEN c.agent_id END, c.channel, m.body, m.at
              FROM conversations c
              JOIN history_customers hc ON hc.id = c.customer_id
             CROSS JOIN LATERAL (SELECT coalesce(c.resolved_at, least(c.created_at + interval '6 hours', \(end)::timestamptz)) - c.created_at AS span) s
             CROSS JOIN LATERAL (VALUES
                 ('inbound', 'customer', 'Where is my order?', c.created_at, true),
                 ('outbound', 'bot', 'Your order is on its way.', c.created_at + interval '3 seconds', c.id % 5 = 0),
                 ('outbound', 'agent', 'Let me check that for you.', c.created_at + s.span * (0.05 + 0.25 * random()),
                  c.agent_id IS NOT NULL AND NOT (c.id % 10 = 0)),
                 ('inbound', 'customer', 'Thank you, one more question.', c.created_at + s.span * 0.5, c.id % 3 = 0),
                 ('outbound', 'agent', 'Done — anything else?', c.created_at + s.span * 0.8, c.agent_id IS NOT NULL AND c.id % 3 = 0)
             ) m(direction, author, body, at, present)
             WHERE m.present
            """)
        // Surveys that reached the customer: CSAT on two in five resolved conversations, NPS on
        // one in ten, CES on one in twenty; about two in five answered.
        try connection.execute("""
            WITH chosen AS (
                SELECT c.id, c.store_id, c.customer_id, c.channel, c.resolved_at + interval '1 hour' AS at, k.kind
                  FROM conversations c
                  JOIN history_customers hc ON hc.id = c.customer_id
                 CROSS JOIN LATERAL (VALUES ('csat', c.id % 5 IN (1, 2)), ('nps', c.id % 10 = 3), ('ces', c.id % 20 = 7)) k(kind, taken)
                 WHERE c.resolved_at IS NOT NULL AND k.taken AND c.resolved_at + interval '1 hour' < \(end)::timestamptz
            ), sent AS (
                INSERT INTO outbox (store_id, customer_id, conversation_id, kind, purpose, channel, locale, body_text, idempotency_key, status,
                                    send_after, created_at, sent_at)
                SELECT store_id, customer_id, id, 'survey_' || kind, 'surveys', notify_channel(channel), 'en', 'How did we do?',
                       'history:' || kind || ':' || id, 'sent', at, at, at
                  FROM chosen
                RETURNING id AS outbox_id, conversation_id, kind
            )
            INSERT INTO surveys (store_id, customer_id, conversation_id, kind, status, due_at, outbox_id, queued_at, rating, answered_at,
                                 answer_source)
            SELECT c.store_id, c.customer_id, c.id, c.kind, CASE WHEN a.rating IS NULL THEN 'queued' ELSE 'answered' END, c.at,
                   s.outbox_id, c.at, a.rating, CASE WHEN a.rating IS NOT NULL THEN c.at + interval '2 hours' END,
                   CASE WHEN a.rating IS NOT NULL THEN 'link' END
              FROM chosen c
              JOIN sent s ON s.conversation_id = c.id AND s.kind = 'survey_' || c.kind
             CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.4 THEN CASE c.kind
                                     WHEN 'csat' THEN 1 + floor(random() ^ 0.4 * 5)::int
                                     WHEN 'nps' THEN floor(random() ^ 0.5 * 11)::int
                                     ELSE 1 + floor(random() ^ 0.6 * 7)::int END END AS rating) a
            """)
        try connection.execute("DROP TABLE history_customers")
    }
}
