-- The operator console's audit page lists the latest console actions; this index finds them
-- without reading every other audit event.

CREATE INDEX audit_events_console ON audit_events (id) WHERE kind = 'console_action';
