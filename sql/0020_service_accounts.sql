-- Separation of duties for API tokens (issue 15).
--
-- A token acts only as the person who created it, or as a service account:
-- a person of kind 'service' that cannot sign in (no password), holds no
-- role and whose tokens may only file reports, so that the reports it files
-- show it as their source. Before this migration an admin could create a
-- `read` token acting as the CISO and read every incident; such tokens are
-- revoked here and the rule is kept by a trigger, whatever the caller.

ALTER TABLE person DROP CONSTRAINT person_kind_check;
ALTER TABLE person ADD CONSTRAINT person_kind_check
    CHECK (kind IN ('staff', 'contractor', 'service'));
ALTER TABLE person ADD CONSTRAINT person_service_no_password
    CHECK (kind <> 'service' OR password_hash IS NULL);

-- A person does not become or stop being a service account: their tokens
-- and history were made under the other rule.
CREATE FUNCTION person_kind_fixed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (OLD.kind = 'service') <> (NEW.kind = 'service') THEN
        RAISE EXCEPTION 'a person cannot become or stop being a service account'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER person_kind_fixed BEFORE UPDATE OF kind ON person
    FOR EACH ROW EXECUTE FUNCTION person_kind_fixed();

CREATE FUNCTION role_assignment_not_service() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM person WHERE id = NEW.person_id AND kind = 'service') THEN
        RAISE EXCEPTION 'a service account holds no role' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER role_assignment_not_service BEFORE INSERT OR UPDATE ON role_assignment
    FOR EACH ROW EXECUTE FUNCTION role_assignment_not_service();

-- The one rule for a token's person, used by the trigger and by the check
-- made each time a token is used.
CREATE FUNCTION api_token_acts_rightly(p_person integer, p_creator integer, p_scopes text[])
    RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT p_person = p_creator
        OR EXISTS (SELECT 1 FROM person WHERE id = p_person AND kind = 'service'
                   AND p_scopes <@ ARRAY['file']::text[])
    $$;

CREATE FUNCTION api_token_check_person() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.created_by IS NULL OR NOT api_token_acts_rightly(NEW.person_id, NEW.created_by, NEW.scopes) THEN
        RAISE EXCEPTION 'a token acts only as the person who creates it, or as a service account with the file scope only'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER api_token_check_person BEFORE INSERT OR UPDATE OF person_id, scopes, created_by
    ON api_token FOR EACH ROW EXECUTE FUNCTION api_token_check_person();

-- Tokens made under the old rule that the new one refuses stop working now.
UPDATE api_token SET revoked_at = sokuho_now()
 WHERE revoked_at IS NULL
   AND (created_by IS NULL OR NOT api_token_acts_rightly(person_id, created_by, scopes));
