-- Absences (不在, issue 19): a person away for a range of dates — on leave
-- (休暇), on a business trip (出張), in training (研修) — is skipped by the
-- resolver of who is told, so that a ladder's rung goes straight to the
-- deputy instead of waiting on an empty desk. Absence changes only who is
-- told: who may see an incident or act on it is what it was (visibility and
-- the actions look at role_assignment, not here).

CREATE TABLE absence_kind (
    name text PRIMARY KEY,
    title_ja text NOT NULL,
    title_en text NOT NULL,
    sort integer NOT NULL
);
INSERT INTO absence_kind (name, title_ja, title_en, sort) VALUES
    ('leave', '休暇', 'on leave', 10),
    ('trip', '出張', 'on a business trip', 20),
    ('training', '研修', 'in training', 30);

CREATE TABLE absence (
    id serial PRIMARY KEY,
    person_id integer NOT NULL REFERENCES person (id),
    kind text NOT NULL REFERENCES absence_kind (name),
    -- both days count, in the city's calendar (Asia/Tokyo)
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    note text CHECK (note IS NULL OR (note <> '' AND char_length(note) <= 200)),
    created_by integer REFERENCES person (id),
    created_at timestamptz NOT NULL DEFAULT sokuho_now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX absence_person ON absence (person_id, ends_on);

-- The absence of person p on day d (the one that lasts longest when two
-- overlap), or NULL.
CREATE FUNCTION absence_on(p integer, d date) RETURNS integer
    LANGUAGE sql STABLE
    AS $$
    SELECT a.id FROM absence a
     WHERE a.person_id = p AND a.starts_on <= d AND a.ends_on >= d
     ORDER BY a.ends_on DESC, a.id LIMIT 1
    $$;

-- Why someone is away, as the incident page, the audit event and the mail
-- say it: 「休暇、12月10日まで」, "on leave until 10 December" (the note is
-- not included: it may be personal). lang is 'ja' or 'en'.
CREATE FUNCTION absence_label(a_id integer, lang text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN lang = 'en'
                THEN k.title_en || ' until ' || to_char(a.ends_on, 'FMDD FMMonth')
                     || CASE WHEN extract(year FROM a.ends_on) <> extract(year FROM sokuho_today())
                             THEN to_char(a.ends_on, ' YYYY') ELSE '' END
                ELSE k.title_ja || '、'
                     || CASE WHEN extract(year FROM a.ends_on) <> extract(year FROM sokuho_today())
                             THEN to_char(a.ends_on, 'YYYY"年"') ELSE '' END
                     || to_char(a.ends_on, 'FMMM"月"FMDD"日まで"') END
      FROM absence a JOIN absence_kind k ON k.name = a.kind
     WHERE a.id = a_id
    $$;

-- Every holder and deputy of role r for section p_section (and its
-- department) or system p_system, as resolve_role was before absences, with
-- the absence (absence.id) of each today or NULL. For who holds a role
-- (may act); who is told is resolve_role.
CREATE FUNCTION resolve_role_all(r text, p_section integer, p_system integer)
    RETURNS TABLE (person_id integer, deputy_rank integer, scope_kind text, scope_id integer,
                   absence_id integer)
    LANGUAGE sql STABLE
    AS $$
    SELECT ra.person_id, ra.deputy_rank, ra.scope_kind, ra.scope_id,
           absence_on(ra.person_id, sokuho_today())
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

-- Who is told for role r: the holders and deputies present today (people
-- absent today, by the city's date, are skipped). Same columns and order as
-- before; a caller that wants "the holder" takes the lowest rank there is
-- (the acting holder), or resolve_role_rung.
CREATE OR REPLACE FUNCTION resolve_role(r text, p_section integer, p_system integer)
    RETURNS TABLE (person_id integer, deputy_rank integer, scope_kind text, scope_id integer)
    LANGUAGE sql STABLE
    AS $$
    SELECT x.person_id, x.deputy_rank, x.scope_kind, x.scope_id
      FROM resolve_role_all(r, p_section, p_system) x
     WHERE x.absence_id IS NULL
     ORDER BY CASE x.scope_kind WHEN 'system' THEN 0 WHEN 'section' THEN 1
                                WHEN 'department' THEN 2 ELSE 3 END,
              x.deputy_rank, x.person_id
    $$;

-- One rung of a ladder: role r at deputy rank p_rank (0 the holder). Per
-- scope, when everyone assigned at p_rank is absent, the rung goes to the
-- next rank with someone present (the acting holder for p_rank 0). Rows
-- with absence_id NULL are whom to tell; rows with an absence are whom that
-- skipped (ranks p_rank and up, below the rank told, or every rank from
-- p_rank when nobody is present: the role is uncovered). A rank nobody is
-- assigned to resolves to nobody, as before absences.
CREATE FUNCTION resolve_role_rung(r text, p_section integer, p_system integer, p_rank integer)
    RETURNS TABLE (person_id integer, deputy_rank integer, scope_kind text, scope_id integer,
                   absence_id integer)
    LANGUAGE sql STABLE
    AS $$
    WITH a AS (SELECT * FROM resolve_role_all(r, p_section, p_system) x
                WHERE x.deputy_rank >= p_rank),
    scopes AS (SELECT DISTINCT a.scope_kind, a.scope_id FROM a WHERE a.deputy_rank = p_rank),
    pick AS (SELECT s.scope_kind, s.scope_id,
                    (SELECT min(a.deputy_rank) FROM a WHERE a.absence_id IS NULL
                        AND a.scope_kind = s.scope_kind
                        AND a.scope_id IS NOT DISTINCT FROM s.scope_id) AS rank
               FROM scopes s)
    SELECT a.person_id, a.deputy_rank, a.scope_kind, a.scope_id, a.absence_id
      FROM a JOIN pick k ON k.scope_kind = a.scope_kind
                        AND k.scope_id IS NOT DISTINCT FROM a.scope_id
     WHERE (a.absence_id IS NULL AND a.deputy_rank = k.rank)
        OR (a.absence_id IS NOT NULL AND (k.rank IS NULL OR a.deputy_rank < k.rank))
     ORDER BY CASE a.scope_kind WHEN 'system' THEN 0 WHEN 'section' THEN 1
                                WHEN 'department' THEN 2 ELSE 3 END,
              a.deputy_rank, a.person_id
    $$;

-- Roles held today over a scope whose holder and every deputy are absent:
-- nobody is told there (the dashboard flags them).
CREATE VIEW role_uncovered AS
    SELECT ra.role, ra.scope_kind, ra.scope_id,
           string_agg(p.display_name || '（' || absence_label(absence_on(p.id, sokuho_today()), 'ja')
                      || '）', '、' ORDER BY ra.deputy_rank, p.id) AS absent_ja,
           string_agg(p.display_name || ' (' || absence_label(absence_on(p.id, sokuho_today()), 'en')
                      || ')', ', ' ORDER BY ra.deputy_rank, p.id) AS absent_en
      FROM role_assignment ra JOIN person p ON p.id = ra.person_id AND p.active
     WHERE ra.valid_from <= sokuho_today()
       AND (ra.valid_to IS NULL OR ra.valid_to >= sokuho_today())
     GROUP BY ra.role, ra.scope_kind, ra.scope_id
    HAVING bool_and(absence_on(p.id, sokuho_today()) IS NOT NULL);
