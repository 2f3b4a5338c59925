-- The database role casetrack runs as in production (SECURITY.md K3-57).
--
-- The schema is owned by an administrative role that runs `casetrack db upgrade`; the
-- application connects as casetrack_app, which may read and write data but may not
-- change or delete audit entries or access-log entries, nor alter the schema.
-- Run as the owner after every `casetrack db upgrade` (new tables need the grants too).
-- tests/integration/test_app_role.py applies this file to the test database.

CREATE ROLE casetrack_app LOGIN;  -- set a password or use certificate / peer auth

GRANT CONNECT ON DATABASE casetrack TO casetrack_app;
GRANT USAGE ON SCHEMA public TO casetrack_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO casetrack_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO casetrack_app;

-- Append-only logs: insert and read, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry, access_log_entry FROM casetrack_app;
-- Only migrations (run as the owner) may touch the migration bookkeeping.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM casetrack_app;
