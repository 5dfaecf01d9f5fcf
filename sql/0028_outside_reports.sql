-- The residents' window (issue 18): a report from outside the city's staff
-- waits in the CSIRT's intake queue. No workflow starts for it (the engine
-- starts none while its outside_report row is not 'accepted') until a CSIRT
-- member, the chief security officer or the CISO accepts it as an incident
-- (then it runs as any report, its discovered_at the time it arrived unless
-- they say otherwise) or closes it as not an incident or as spam, with a
-- reason. Both are audited (outside.accepted, outside.closed).

CREATE TABLE outside_report (
    incident_id bigint PRIMARY KEY REFERENCES incident (id),
    arrived_at timestamptz NOT NULL DEFAULT sokuho_now(),
    -- what the resident wrote, as written
    what_happened text NOT NULL CHECK (what_happened <> ''),
    when_text text NOT NULL DEFAULT '',
    place text NOT NULL DEFAULT '',
    contact text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'accepted', 'closed')),
    outcome text CHECK (outcome IN ('not_incident', 'spam')),
    reason text NOT NULL DEFAULT '',
    decided_by integer REFERENCES person (id),
    decided_at timestamptz,
    CHECK ((state = 'waiting') = (decided_at IS NULL)),
    CHECK ((state = 'closed') = (outcome IS NOT NULL)),
    CHECK (state <> 'closed' OR reason <> '')
);
CREATE INDEX outside_report_waiting ON outside_report (arrived_at) WHERE state = 'waiting';

-- The residents' form asks no name: an outside report may come without one.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
              WHERE conrelid = 'incident'::regclass AND contype = 'c'
                AND pg_get_constraintdef(oid) LIKE '%external_name%' LOOP
        EXECUTE format('ALTER TABLE incident DROP CONSTRAINT %I', c.conname);
    END LOOP;
END
$$;
