-- What the dashboard, the incident list and the reviews need to stay fast
-- with a million incidents: when each incident reached its milestones
-- (acknowledged, contained, closed), a search text with an n-gram index that
-- finds Japanese words of any length, and partial indexes on what is open.

-- Milestones: set once, the first time a workflow enters a state that names
-- the milestone ("milestone" in the workflow file, docs/workflows.md).
ALTER TABLE incident
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN contained_at timestamptz,
    ADD COLUMN closed_at timestamptz;

-- The text search looks in: NFKC folds full-width Latin letters and digits
-- and half-width katakana, lower() folds case, so ＵＳＢ finds usb.
ALTER TABLE incident ADD COLUMN search text GENERATED ALWAYS AS (
    lower(normalize(ref || ' ' || summary || ' ' || description || ' ' || how_found || ' '
                    || system_text || ' ' || pd_items || ' ' || contractor || ' '
                    || coalesce(external_name, ''), NFKC))) STORED;

-- The single characters and the pairs of adjacent characters of t: the keys
-- of the search index (what pg_bigm does). A query of one character looks up
-- its key; a longer one the rarest pair it contains (see src/web/incidents.c),
-- and the matches are checked with strpos(). pg_trgm cannot do this: it needs
-- three characters. Duplicates and pairs with white space do no harm (GIN
-- keeps each key once per row; queries never ask for white space), and
-- leaving them in makes the function five times faster.
CREATE FUNCTION sokuho_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT string_to_array(t, NULL)
           || ARRAY(SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) i)
$$;

-- The keys a query needs: its only character, or all its pairs.
CREATE FUNCTION sokuho_query_grams(q text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT CASE WHEN length(q) = 1 THEN ARRAY[q]
           ELSE (SELECT coalesce(array_agg(DISTINCT g), '{}')
                 FROM (SELECT substr(q, i, 2) AS g FROM generate_series(1, length(q) - 1) i) x
                 WHERE g !~ '\s') END
$$;

CREATE INDEX incident_search ON incident USING gin (sokuho_grams(search));

-- What is open, and what is waiting for someone.
CREATE INDEX incident_open ON incident (id) WHERE closed_at IS NULL;
CREATE INDEX incident_unacknowledged ON incident (reported_at)
    WHERE acknowledged_at IS NULL AND closed_at IS NULL;
CREATE INDEX incident_severity ON incident ((coalesce(severity, -1)), id);
CREATE INDEX incident_category ON incident (category, id);
CREATE INDEX incident_site ON incident (site_id, id);
CREATE INDEX audit_event_escalated ON audit_event (at) WHERE kind = 'workflow.escalated';
CREATE INDEX outbox_dead ON outbox (created_at) WHERE status = 'dead';
CREATE INDEX workflow_run_open_incident ON workflow_run (incident_id, state)
    WHERE finished_at IS NULL;

CREATE FUNCTION incident_milestone() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    m text;
    inc bigint;
BEGIN
    SELECT d.definition -> 'states' -> NEW.to_state ->> 'milestone', r.incident_id
        INTO m, inc
        FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id
        WHERE r.id = NEW.run_id;
    IF m = 'acknowledged' THEN
        UPDATE incident SET acknowledged_at = NEW.at
            WHERE id = inc AND acknowledged_at IS NULL;
    ELSIF m = 'contained' THEN
        UPDATE incident SET contained_at = NEW.at WHERE id = inc AND contained_at IS NULL;
    ELSIF m = 'closed' THEN
        UPDATE incident SET closed_at = NEW.at WHERE id = inc AND closed_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER workflow_transition_milestone AFTER INSERT ON workflow_transition
    FOR EACH ROW EXECUTE FUNCTION incident_milestone();

-- A legal deadline is met when its workflow has left every state that
-- carried a deadline with the same key (the key names the duty in both
-- workflows/legal-clocks.json and the legal workflows): the report was made,
-- or the duty was judged not to apply. Deferred to the end of the
-- transaction, when the engine has written the new state's deadlines.
CREATE FUNCTION legal_deadline_meet() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE legal_deadline ld SET met_at = w.met_at
        FROM (SELECT key, max(met_at) AS met_at FROM workflow_deadline
              WHERE run_id = NEW.run_id GROUP BY key
              HAVING bool_and(met_at IS NOT NULL)) w,
             workflow_run r
        WHERE r.id = NEW.run_id AND ld.incident_id = r.incident_id AND ld.key = w.key
          AND ld.met_at IS NULL;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER workflow_transition_legal AFTER INSERT ON workflow_transition
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION legal_deadline_meet();
