-- Database least privilege (issue 15).
--
-- `sokuho serve` and `sokuho worker` connect as a login role that is a member
-- of the group role sokuho_app and owns nothing; `sokuho migrate` runs as the
-- owner of the schema (migrate_database_url). sokuho_app may read and write
-- the tables the application writes, but only read and append to the audit
-- log: no UPDATE, DELETE or TRUNCATE of audit_event, and, owning nothing, it
-- can neither ALTER TABLE ... DISABLE TRIGGER nor drop a trigger, nor create
-- a table (PostgreSQL 15 grants no CREATE on schema public to PUBLIC).
--
-- The group role is created here when missing (this needs CREATEROLE; if the
-- owner lacks it, a superuser runs `CREATE ROLE sokuho_app NOLOGIN` once).
-- Roles belong to the cluster: every Sokuho database in it uses the same
-- group role.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sokuho_app') THEN
        CREATE ROLE sokuho_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL; -- another migration in the same cluster made it meanwhile
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the role sokuho_app does not exist and this role may not create it: '
            'a superuser runs CREATE ROLE sokuho_app NOLOGIN once, then sokuho migrate again';
END
$$;

-- The grants, for every table and sequence there is; `sokuho migrate` calls
-- it after each run, so the tables of later migrations are covered too.
CREATE FUNCTION sokuho_grant_app() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    GRANT USAGE ON SCHEMA public TO sokuho_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO sokuho_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sokuho_app;
    -- append-only: read and insert, nothing else
    REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM sokuho_app;
    -- the migrations' own record is the owner's
    IF to_regclass('schema_migrations') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM sokuho_app;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION sokuho_grant_app() FROM PUBLIC;

-- The demo city's seeding (`sokuho demo`) sets sokuho.grant_notice = 'off'
-- in its transaction: its role grants are the demo's starting state, not
-- news for the CISO (otherwise every demo installation starts with two dozen
-- role_granted mails in the outbox). Anything else is still noticed.
CREATE OR REPLACE FUNCTION role_assignment_notice() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.role NOT IN ('ciso', 'chief_security_officer', 'csirt', 'auditor')
       OR coalesce(current_setting('sokuho.grant_notice', true), '') = 'off' THEN
        RETURN NEW;
    END IF;
    INSERT INTO outbox (dedup_key, recipient_id, email, lang, template, data)
    SELECT 'role_grant:' || NEW.id || ':p' || w.id, w.id, w.email, w.lang, 'role_granted',
           jsonb_build_object(
               'grantee_name', g.display_name, 'grantee_login', g.login,
               'role_ja', r.title_ja, 'role_en', r.title_en,
               'scope', CASE NEW.scope_kind WHEN 'city' THEN 'city'
                        ELSE NEW.scope_kind || ':' || coalesce(
                            (SELECT code FROM org_unit WHERE id = NEW.scope_id AND NEW.scope_kind IN ('department', 'section')),
                            (SELECT code FROM info_system WHERE id = NEW.scope_id AND NEW.scope_kind = 'system'),
                            NEW.scope_id::text) END,
               'deputy_rank', NEW.deputy_rank::text,
               'valid_from', NEW.valid_from::text,
               'valid_to', NEW.valid_to::text,
               'granted_by', nullif(current_setting('sokuho.granted_by', true), ''))
      FROM person g, role r,
           (SELECT DISTINCT p.id, p.email, p.lang
              FROM role_assignment ra JOIN person p ON p.id = ra.person_id AND p.active
             WHERE ra.role IN ('ciso', 'auditor') AND ra.scope_kind = 'city'
               AND ra.valid_from <= sokuho_today()
               AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today())) w
     WHERE g.id = NEW.person_id AND r.name = NEW.role
    ON CONFLICT (dedup_key) DO NOTHING;
    RETURN NEW;
END
$$;
