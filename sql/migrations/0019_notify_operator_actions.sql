-- Operators retry and cancel outbox rows (`switchboard notify retry|cancel`): a retried row gets
-- a fresh retry deadline, counted from when it was requeued; both steps are in its story.

ALTER TABLE outbox ADD COLUMN requeued_at timestamptz;

ALTER TABLE notify_events
    DROP CONSTRAINT notify_events_event_known,
    ADD CONSTRAINT notify_events_event_known CHECK (
        event IN ('sending', 'sent', 'retry', 'failed', 'deferred', 'failover', 'delivered', 'undelivered', 'read', 'suppressed',
                  'requeued', 'cancelled'));
