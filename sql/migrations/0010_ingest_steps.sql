-- Ingest in steps (sql/definitions/ingest_steps.sql): ingest_message links orders through the
-- same step as ingest_batch, which reads the order numbers with order_numbers_in(), so the array
-- form that only ingest_message called is gone. Its scratch table is now ingest_items.
DROP FUNCTION IF EXISTS order_number_candidates(jsonb);
