-- record_auto_answers keeps index plans.
--
-- Its one statement joins the batch's answers to messages and conversations by key. PL/pgSQL
-- keeps the generic plan it made while those tables were small (a new deployment, a bench's
-- fresh schema): a scan of the whole conversations table for every batch of answers once it
-- has grown. Measured (pg_stat_statements, `bench ingest`, 35,000 conversations): 1,477 buffers
-- and 4.1 ms a call for 5.5 answers on average, a fifth of ingest's database time.
ALTER FUNCTION record_auto_answers(bigint[], text[], text[], text[]) SET enable_seqscan = off;
