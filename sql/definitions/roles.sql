-- What each process kind's role may do, table by table (the roles: 0002 and 0029; docs/deploy.md,
-- "Database roles"). Every table and view of the schema is named in exactly one list below: a
-- migration that adds one adds it here too (DeployTests checks).
--
-- Idempotent definitions, re-applied by `switchboard migrate` whenever this file changes.

-- Every table and view of the schema, and the list it is in:
--   settings    rules and settings: an admin changes them; workers and serve read them;
--   intake      the integrations that may call serve, with references to their secrets: an admin's and serve's only;
--   data        what workers and serve write as they go (customers, conversations, messages, orders,
--               the outbox, consent, surveys) and the queue;
--   data_views  views over that data, read by workers and serve;
--   ledgers     the migrations' ledgers, which /readyz compares with the build;
--   metrics     the metrics, without personal data: reporting's and an admin's, and the workers' and serve's.
CREATE OR REPLACE FUNCTION switchboard_role_lists() RETURNS TABLE (relation text, list text) LANGUAGE sql IMMUTABLE AS $$
    SELECT r, 'settings' FROM unnest(ARRAY[
        'agents', 'agent_capacity', 'agent_skills', 'agent_skill_sets', 'auto_answer_intents', 'auto_answer_rules', 'auto_answer_templates',
        'business_calendars', 'business_holidays', 'business_hours', 'categories', 'category_rules', 'channel_settings',
        'consent_defaults', 'consent_keywords', 'ingest_settings', 'notification_rules', 'notify_caps', 'notify_providers',
        'notify_settings', 'notify_templates', 'order_status_labels', 'phone_time_zones', 'policy_texts', 'routing_rules',
        'routing_settings', 'sla_policies', 'sla_targets', 'stores', 'survey_settings', 'teams', 'team_members',
        'urgency_rules']) AS r
    UNION ALL SELECT r, 'intake' FROM unnest(ARRAY['intake_integrations']) AS r
    UNION ALL SELECT r, 'data' FROM unnest(ARRAY[
        'audit_events', 'category_examples', 'category_models', 'consent_confirmations', 'consent_events', 'conversations', 'customer_identities',
        'customer_links', 'customers', 'inbound_messages', 'messages', 'notify_events', 'notify_provider_health',
        'notify_suppressions', 'order_events', 'order_items', 'orders', 'outbox', 'routing_decisions', 'service_facts',
        'service_facts_stale', 'surveys',
        'jobs', 'job_leader', 'job_queue_pauses', 'job_schedules', 'job_throughput', 'job_workers']) AS r
    UNION ALL SELECT r, 'data_views' FROM unnest(ARRAY['notify_history', 'routing_explanations']) AS r
    UNION ALL SELECT r, 'ledgers' FROM unnest(ARRAY['switchboard_migrations', 'switchboard_definitions']) AS r
    UNION ALL SELECT r, 'metrics' FROM unnest(ARRAY[
        'service_metrics_daily', 'survey_metrics_daily', 'sla_attainment', 'conversation_facts', 'service_facts_current']) AS r
$$;

-- Revokes and grants again this schema's privileges of the roles switchboard_worker,
-- switchboard_serve, switchboard_admin and switchboard_reporting, so that they are exactly what
-- switchboard_role_lists says. When a role does not exist (a migrating user without CREATEROLE),
-- nothing is granted and a notice names it: run this again once a superuser has created them.
-- Returns how many roles were granted.
CREATE OR REPLACE FUNCTION switchboard_grant_roles() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_roles   text[] := ARRAY['switchboard_worker', 'switchboard_serve', 'switchboard_admin', 'switchboard_reporting'];
    v_missing text[] := ARRAY(SELECT r FROM unnest(v_roles) r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r));
    v_schema  text := quote_ident(current_schema());
    v_pair    text[];
BEGIN
    IF cardinality(v_missing) > 0 THEN
        RAISE NOTICE 'roles % do not exist; a superuser should create them (CREATE ROLE … NOLOGIN), then run SELECT switchboard_grant_roles()',
            array_to_string(v_missing, ', ');
        RETURN 0;
    END IF;
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ' || v_schema || ' FROM ' || array_to_string(v_roles, ', ');
    EXECUTE 'GRANT USAGE ON SCHEMA ' || v_schema || ' TO ' || array_to_string(v_roles, ', ');
    EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ' || v_schema || ' TO switchboard_worker, switchboard_serve, switchboard_admin';
    EXECUTE 'GRANT SELECT ON ' || switchboard_role_list('settings') || ' TO switchboard_worker, switchboard_serve, switchboard_admin';
    EXECUTE 'GRANT INSERT, UPDATE, DELETE ON ' || switchboard_role_list('settings') || ' TO switchboard_admin';
    -- What the workers and serve change of the settings as they go: an agent's status (the desk),
    -- an agent's live conversations and a team's round-robin turns (routing).
    GRANT UPDATE (status, last_seen_at) ON agents TO switchboard_worker, switchboard_serve;
    GRANT UPDATE (live, last_assigned_at) ON agent_capacity TO switchboard_worker, switchboard_serve;
    GRANT UPDATE (round_robin_turns) ON team_members TO switchboard_worker, switchboard_serve;
    EXECUTE 'GRANT SELECT ON ' || switchboard_role_list('intake') || ' TO switchboard_serve';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ' || switchboard_role_list('intake') || ' TO switchboard_admin';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ' || switchboard_role_list('data') || ' TO switchboard_worker, switchboard_serve';
    EXECUTE 'GRANT SELECT ON ' || switchboard_role_list('data_views') || ' TO switchboard_worker, switchboard_serve';
    EXECUTE 'GRANT SELECT ON ' || switchboard_role_list('ledgers') || ' TO switchboard_worker, switchboard_serve';
    EXECUTE 'GRANT SELECT ON ' || switchboard_role_list('metrics') || ' TO ' || array_to_string(v_roles, ', ');
    -- The metrics' functions, inlined into a reporting or admin query, read these with the caller's rights
    -- (a view's own reads use its owner's): the settings they need whole, and of personal tables
    -- only columns without names, addresses, subjects, texts or comments.
    GRANT SELECT ON stores, teams, business_calendars, business_hours, business_holidays, sla_policies, sla_targets
       TO switchboard_reporting;
    GRANT SELECT ON service_facts, service_facts_stale TO switchboard_reporting, switchboard_admin;
    FOREACH v_pair SLICE 1 IN ARRAY ARRAY[
        ARRAY['conversations', 'id, store_id, team_id, agent_id, channel, category, language, status, created_at, resolved_at'],
        ARRAY['surveys', 'id, store_id, conversation_id, kind, status, queued_at, rating, answered_at, outbox_id'],
        ARRAY['messages', 'id, conversation_id, author_kind, created_at'],
        ARRAY['outbox', 'id, status, purpose'],
        ARRAY['agents', 'id, name']] LOOP
        EXECUTE format('GRANT SELECT (%s) ON %I TO switchboard_reporting, switchboard_admin', v_pair[2], v_pair[1]);
    END LOOP;
    RETURN cardinality(v_roles);
END $$;

-- The relations of list p_list, quoted and comma-separated, for a GRANT.
CREATE OR REPLACE FUNCTION switchboard_role_list(p_list text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(quote_ident(relation), ', ' ORDER BY relation) FROM switchboard_role_lists() WHERE list = p_list
$$;

DO $$
BEGIN
    PERFORM switchboard_grant_roles();
END $$;
