-- Time and fatigue: each customer's time zone (explicit, else from their phone's country, else
-- the store's), the store's quiet hours that proactive messages wait out, urgent rows that do
-- not, and frequency caps per purpose and channel — the contact budget the survey worker shares.
-- Functions in sql/definitions/notify_timing.sql.

-- An IANA name (Europe/Kyiv); checked by a trigger. Null: from the phone, else the store's.
ALTER TABLE customers ADD COLUMN time_zone text;

-- Local times, in the customer's zone; both null: no quiet hours. A window may span midnight.
ALTER TABLE stores
    ADD COLUMN quiet_hours_start time DEFAULT '21:00',
    ADD COLUMN quiet_hours_end   time DEFAULT '08:00',
    ADD CONSTRAINT stores_quiet_hours_both_or_neither CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)),
    ADD CONSTRAINT stores_quiet_hours_not_empty CHECK (quiet_hours_start <> quiet_hours_end);

-- An urgent row (a delivery problem the customer must act on tonight) goes at once, quiet hours
-- or not.
ALTER TABLE outbox ADD COLUMN urgent boolean NOT NULL DEFAULT false;

-- The time zone of phone numbers by their international prefix, for countries with one zone
-- (the longest prefix wins). Countries spanning zones (+1, +7, +55, +61…) are left out: their
-- customers get the store's zone unless their own is set.
CREATE TABLE phone_time_zones (
    calling_prefix  text PRIMARY KEY CONSTRAINT phone_time_zones_prefix_format CHECK (calling_prefix ~ '^\+[1-9][0-9]{0,5}$'),
    time_zone       text NOT NULL
);
INSERT INTO phone_time_zones (calling_prefix, time_zone) VALUES
    ('+380', 'Europe/Kyiv'), ('+48', 'Europe/Warsaw'), ('+375', 'Europe/Minsk'), ('+370', 'Europe/Vilnius'),
    ('+371', 'Europe/Riga'), ('+372', 'Europe/Tallinn'), ('+373', 'Europe/Chisinau'), ('+40', 'Europe/Bucharest'),
    ('+420', 'Europe/Prague'), ('+421', 'Europe/Bratislava'), ('+36', 'Europe/Budapest'), ('+49', 'Europe/Berlin'),
    ('+43', 'Europe/Vienna'), ('+41', 'Europe/Zurich'), ('+33', 'Europe/Paris'), ('+32', 'Europe/Brussels'),
    ('+31', 'Europe/Amsterdam'), ('+39', 'Europe/Rome'), ('+34', 'Europe/Madrid'), ('+351', 'Europe/Lisbon'),
    ('+44', 'Europe/London'), ('+353', 'Europe/Dublin'), ('+45', 'Europe/Copenhagen'), ('+46', 'Europe/Stockholm'),
    ('+47', 'Europe/Oslo'), ('+358', 'Europe/Helsinki'), ('+30', 'Europe/Athens'), ('+90', 'Europe/Istanbul'),
    ('+995', 'Asia/Tbilisi'), ('+374', 'Asia/Yerevan'), ('+994', 'Asia/Baku'), ('+972', 'Asia/Jerusalem'),
    ('+20', 'Africa/Cairo'), ('+966', 'Asia/Riyadh'), ('+971', 'Asia/Dubai'), ('+974', 'Asia/Qatar'),
    ('+965', 'Asia/Kuwait'), ('+973', 'Asia/Bahrain'), ('+968', 'Asia/Muscat'), ('+962', 'Asia/Amman'),
    ('+961', 'Asia/Beirut'), ('+964', 'Asia/Baghdad'), ('+212', 'Africa/Casablanca'), ('+216', 'Africa/Tunis'),
    ('+213', 'Africa/Algiers'), ('+86', 'Asia/Shanghai'), ('+852', 'Asia/Hong_Kong'), ('+853', 'Asia/Macau'),
    ('+886', 'Asia/Taipei'), ('+81', 'Asia/Tokyo'), ('+82', 'Asia/Seoul'), ('+65', 'Asia/Singapore'),
    ('+91', 'Asia/Kolkata'), ('+92', 'Asia/Karachi'), ('+66', 'Asia/Bangkok'), ('+84', 'Asia/Ho_Chi_Minh'),
    ('+63', 'Asia/Manila'), ('+27', 'Africa/Johannesburg'), ('+234', 'Africa/Lagos'), ('+254', 'Africa/Nairobi'),
    ('+64', 'Pacific/Auckland');

-- How often a customer may be written to for some purposes: at most max_messages sent in any
-- `per` — on one channel, or on all (channel null). A row past a cap is suppressed, saying which.
CREATE TABLE notify_caps (
    id            bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text     NOT NULL UNIQUE CONSTRAINT notify_caps_name_given CHECK (name <> ''),
    purposes      text[]   NOT NULL CONSTRAINT notify_caps_purposes_known
                           CHECK (cardinality(purposes) > 0 AND purposes <@ ARRAY['transactional', 'order_updates', 'marketing', 'surveys']),
    channel       text     CONSTRAINT notify_caps_channel_known CHECK (channel IN ('email', 'sms', 'chat', 'social')),
    max_messages  integer  NOT NULL CONSTRAINT notify_caps_max_positive CHECK (max_messages > 0),
    per           interval NOT NULL CONSTRAINT notify_caps_per_positive CHECK (per > '0'),
    enabled       boolean  NOT NULL DEFAULT true
);
INSERT INTO notify_caps (name, purposes, channel, max_messages, per) VALUES
    ('one survey a month', '{surveys}', NULL, 1, '30 days'),
    ('contact budget', '{marketing,surveys}', NULL, 6, '30 days'),
    ('marketing by SMS', '{marketing}', 'sms', 2, '7 days'),
    ('marketing by social', '{marketing}', 'social', 1, '7 days');
