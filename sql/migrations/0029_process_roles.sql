-- One database role per process kind, beside switchboard_integration (0002): the workers, serve,
-- an admin who tunes rules and settings, and reporting (metric views and queue depths only).
-- Roles are cluster-wide NOLOGIN groups, created once; each process logs in as a role of its own
-- that is a member. What each may do, table by table, is in sql/definitions/roles.sql.
-- A migrating user without CREATEROLE is told what to run instead.
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['switchboard_worker', 'switchboard_serve', 'switchboard_admin', 'switchboard_reporting'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN insufficient_privilege OR unique_violation OR duplicate_object THEN
                RAISE NOTICE 'could not create role % (%); a superuser should run: CREATE ROLE % NOLOGIN, then SELECT switchboard_grant_roles() in this schema (docs/deploy.md)',
                    v_role, SQLERRM, v_role;
            END;
        END IF;
    END LOOP;
END $$;
