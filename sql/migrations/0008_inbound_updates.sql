-- Processing an inbound row rewrites it where it lies.
--
-- Ingest updates every inbound row once (status, conversation, message, processed_at). That
-- update touched every index of the table because 0002's index of rejected rows was predicated
-- on `status`, and a row's new version went to another page because inserts fill pages whole:
-- 15 % of ingest's WAL was these updates and their index entries. Predicated on `reject_code`
-- (the same rows: inbound_messages_rejection_reason) and with half of each page left free, the
-- update is HOT: the new version stays on the page and no index changes. `bench ingest`, five
-- interleaved pairs: p99 at 3,000 messages/s 30–68 ms with this, 53–95 ms without.
--
-- Its functions, trigger functions, triggers and views are defined in sql/definitions/ (one
-- file per area, re-applied when changed); this file keeps what cannot be replayed.
-- previously applied as sha256:11df31788bdbc664809d567f8e92b1a8d9f21a714951e1778f5e4bdfe28b365f

DROP INDEX inbound_messages_rejected;
CREATE INDEX inbound_messages_rejected ON inbound_messages (id) WHERE reject_code IS NOT NULL;
ALTER TABLE inbound_messages SET (fillfactor = 50);