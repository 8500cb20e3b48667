-- Service metrics in business hours count the open hours of the store's report calendar (its
-- weekends, holidays and time zone); without one, those of the conversation's SLA policy, and
-- without that, calendar time. Views in sql/definitions/metrics.sql.

ALTER TABLE stores ADD COLUMN report_calendar_id bigint REFERENCES business_calendars ON DELETE SET NULL;
