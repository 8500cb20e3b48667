-- Categories that learn, retrained on a schedule (issue 20). Each model version records a
-- fingerprint of the examples it learnt from (category_examples_digest()), so the scheduled
-- retraining skips when nothing has changed; and the schedule itself: the leader enqueues a
-- categories_train job on the ingest queue at minute 17 of every hour. Admins may change its
-- cron or disable it (job_schedules row categories_train): workers never overwrite it.

ALTER TABLE category_models ADD COLUMN examples_digest text;

INSERT INTO job_schedules (name, cron, queue, kind, args, max_attempts)
VALUES ('categories_train', '17 * * * *', 'ingest', 'categories_train', '{}', 3)
ON CONFLICT (name) DO NOTHING;
