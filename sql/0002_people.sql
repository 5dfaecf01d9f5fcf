-- People, the organisation, roles, sessions and the audit log.
--
-- The organisation is a tree of departments (部局) and sections (課室); sites
-- (拠点) are where people work. Roles are held over a scope (the whole city,
-- a department, a section or an information system) with a deputy rank:
-- 0 is the holder, 1 the first deputy (第一代理), and so on.

CREATE TABLE site (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name_ja text NOT NULL CHECK (name_ja <> ''),
    name_en text NOT NULL CHECK (name_en <> ''),
    note_ja text,
    sort integer NOT NULL DEFAULT 0
);

-- The sites of the basic policy, section 2.2 (適用範囲).
INSERT INTO site (code, name_ja, name_en, note_ja, sort) VALUES
    ('honchosha', '市役所本庁舎', 'City Hall main building', NULL, 10),
    ('higashi', '市役所東庁舎', 'City Hall east building', NULL, 20),
    ('nishi-bekkan', '市役所西別館', 'City Hall west annex', NULL, 30),
    ('fukushi-hall', '福祉ホール・子育て支援センター', 'Welfare hall and childcare support centre',
     'ファミリーサポートセンターを除く', 40),
    ('hoikuen', '保育園・マザーズホーム', 'Nursery schools and Mothers'' Home', NULL, 50),
    ('kankyo-bika', '環境美化センター', 'Environmental cleanup centre', NULL, 60),
    ('shinyo', 'し尿処理施設', 'Night-soil treatment plant', NULL, 70),
    ('kango', '看護専門学校', 'Nursing college', NULL, 80),
    ('kyushoku', '学校給食センター', 'School lunch centre', NULL, 90),
    ('toshokan', '図書館', 'Library', NULL, 100),
    ('museum', 'ふじさんミュージアム', 'Fujisan Museum', NULL, 110);

CREATE TABLE org_unit (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    kind text NOT NULL CHECK (kind IN ('department', 'section')),
    parent_id integer REFERENCES org_unit (id),
    name_ja text NOT NULL CHECK (name_ja <> ''),
    name_en text NOT NULL CHECK (name_en <> ''),
    site_id integer REFERENCES site (id),
    active boolean NOT NULL DEFAULT true,
    -- departments are the roots; every section belongs to a department
    CHECK ((kind = 'department') = (parent_id IS NULL))
);
CREATE INDEX org_unit_parent ON org_unit (parent_id);

CREATE TABLE info_system (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name_ja text NOT NULL CHECK (name_ja <> ''),
    name_en text NOT NULL CHECK (name_en <> ''),
    section_id integer REFERENCES org_unit (id),
    segment text NOT NULL DEFAULT 'unknown'
        CHECK (segment IN ('mynumber', 'lgwan', 'internet', 'unknown'))
);

CREATE TABLE person (
    id serial PRIMARY KEY,
    login text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name text NOT NULL CHECK (display_name <> ''),
    email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    section_id integer REFERENCES org_unit (id),
    kind text NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'contractor')),
    active boolean NOT NULL DEFAULT true,
    lang text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en')),
    -- NULL until a password is set: such an account cannot sign in
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT sokuho_now(),
    updated_at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX person_section ON person (section_id);

CREATE TABLE role (
    name text PRIMARY KEY,
    title_ja text NOT NULL,
    title_en text NOT NULL,
    sort integer NOT NULL
);
INSERT INTO role (name, title_ja, title_en, sort) VALUES
    ('ciso', '最高情報セキュリティ責任者（CISO）', 'Chief information security officer (CISO)', 10),
    ('chief_security_officer', '統括情報セキュリティ責任者', 'Chief security officer', 20),
    ('security_officer', '情報セキュリティ責任者', 'Security officer (department head)', 30),
    ('security_manager', '情報セキュリティ管理者', 'Security manager (section head)', 40),
    ('system_manager', '情報システム管理者', 'Information system manager', 50),
    ('csirt', 'CSIRT', 'CSIRT', 60),
    ('auditor', '監査', 'Auditor (read-only)', 70),
    ('admin', 'システム管理（アカウント・設定）', 'Administrator (accounts and configuration)', 80);

CREATE TABLE role_assignment (
    id serial PRIMARY KEY,
    person_id integer NOT NULL REFERENCES person (id),
    role text NOT NULL REFERENCES role (name),
    scope_kind text NOT NULL CHECK (scope_kind IN ('city', 'department', 'section', 'system')),
    -- org_unit.id for department and section, info_system.id for system
    scope_id integer,
    deputy_rank integer NOT NULL DEFAULT 0 CHECK (deputy_rank BETWEEN 0 AND 9),
    valid_from date NOT NULL DEFAULT CURRENT_DATE,
    valid_to date,
    created_at timestamptz NOT NULL DEFAULT sokuho_now(),
    CHECK ((scope_kind = 'city') = (scope_id IS NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX role_assignment_unique
    ON role_assignment (person_id, role, scope_kind, coalesce(scope_id, 0), valid_from);
CREATE INDEX role_assignment_scope ON role_assignment (role, scope_kind, scope_id);
CREATE INDEX role_assignment_person ON role_assignment (person_id);

-- The city's calendar day, for validity dates.
CREATE FUNCTION sokuho_today() RETURNS date
    LANGUAGE sql STABLE
    AS $$ SELECT (sokuho_now() AT TIME ZONE 'Asia/Tokyo')::date $$;

-- Who holds role r for something in section p_section (and its department)
-- or information system p_system: holders and deputies, most specific scope
-- first, then by deputy rank. Inactive people and assignments outside their
-- validity dates are skipped; an empty answer is normal.
CREATE FUNCTION resolve_role(r text, p_section integer, p_system integer)
    RETURNS TABLE (person_id integer, deputy_rank integer, scope_kind text, scope_id integer)
    LANGUAGE sql STABLE
    AS $$
    SELECT ra.person_id, ra.deputy_rank, ra.scope_kind, ra.scope_id
      FROM role_assignment ra
      JOIN person p ON p.id = ra.person_id AND p.active
     WHERE ra.role = r
       AND ra.valid_from <= sokuho_today()
       AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today())
       AND (   ra.scope_kind = 'city'
            OR (ra.scope_kind = 'section' AND ra.scope_id = p_section)
            OR (ra.scope_kind = 'department'
                AND ra.scope_id = (SELECT parent_id FROM org_unit WHERE id = p_section))
            OR (ra.scope_kind = 'system' AND ra.scope_id = p_system))
     ORDER BY CASE ra.scope_kind WHEN 'system' THEN 0 WHEN 'section' THEN 1
                                 WHEN 'department' THEN 2 ELSE 3 END,
              ra.deputy_rank, ra.person_id
    $$;

-- Sessions: only the SHA-256 of the random session id is stored.
CREATE TABLE session (
    id_hash bytea PRIMARY KEY,
    person_id integer NOT NULL REFERENCES person (id),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT sokuho_now(),
    last_seen_at timestamptz NOT NULL DEFAULT sokuho_now(),
    ip inet
);
CREATE INDEX session_person ON session (person_id);

-- Failed sign-ins, for throttling per account and per address.
CREATE TABLE login_failure (
    id bigserial PRIMARY KEY,
    login text NOT NULL,
    ip inet,
    at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX login_failure_login ON login_failure (login, at);
CREATE INDEX login_failure_ip ON login_failure (ip, at);

-- The audit log: append-only, each row chained to the one before by
-- SHA-256, so that an edited or deleted row breaks the chain.
CREATE TABLE audit_event (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT sokuho_now(),
    actor_id integer REFERENCES person (id),
    kind text NOT NULL,
    ip inet,
    detail jsonb NOT NULL DEFAULT '{}',
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
);
CREATE INDEX audit_event_actor ON audit_event (actor_id, at);
CREATE INDEX audit_event_kind ON audit_event (kind, at);

CREATE FUNCTION audit_event_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    last record;
BEGIN
    -- One writer at a time extends the chain; the lock ends with the
    -- transaction, so the next writer sees this row.
    PERFORM pg_advisory_xact_lock(7365756469); -- "audit"
    SELECT a.seq, a.hash INTO last FROM audit_event a ORDER BY a.seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, '\x'::bytea);
    NEW.hash := sha256(NEW.prev_hash || convert_to(
        concat_ws('|', NEW.seq, to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                  NEW.actor_id, NEW.kind, host(NEW.ip), NEW.detail::text), 'UTF8'));
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_chain();

CREATE FUNCTION audit_event_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_immutable();

-- The most common passwords, refused when a password is set. Loaded by
-- migration 0003.
CREATE TABLE common_password (
    password text PRIMARY KEY
);
