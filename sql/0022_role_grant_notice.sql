-- Granting a role that sees every incident or the audit trail (ciso,
-- chief_security_officer, csirt, auditor) is mailed to the CISO and the
-- auditors (issue 15), whoever grants it and however: the admin page, the
-- command line or SQL. The mail is queued in the granting transaction, so a
-- grant that is rolled back sends nothing. Who granted it comes from the
-- transaction's setting sokuho.granted_by (the web sets the admin's name; the
-- command line leaves it unset) and is also in the audit event.

CREATE FUNCTION role_assignment_notice() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.role NOT IN ('ciso', 'chief_security_officer', 'csirt', 'auditor') THEN
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
CREATE TRIGGER role_assignment_notice AFTER INSERT ON role_assignment
    FOR EACH ROW EXECUTE FUNCTION role_assignment_notice();
