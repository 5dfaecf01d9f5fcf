-- The sealer drains a queue instead of searching the whole log (issue 17).
--
-- An audit_event insert takes no lock beyond its own row and touches nothing
-- of the chain: a statement trigger adds the new events' ids to audit_queue
-- (in the writer's transaction, so an event and its queue row commit or roll
-- back together). The sealer (audit_seal, one at a time across all processes
-- by the advisory lock 1936024940, "seal") takes the committed queue rows in
-- event id order, chains each event after the head of audit_chain and
-- deletes its queue row, all in one transaction: a sealer killed or rolled
-- back mid-batch leaves the queue and the chain as they were. Until now each
-- batch looked for unsealed events with an anti-join over the whole log.
--
-- The sealer runs as the owner (SECURITY DEFINER): the application role may
-- append events (and so queue rows, through the trigger) but neither write
-- the chain nor remove a queue row itself.

CREATE TABLE audit_queue (
    event_id bigint PRIMARY KEY
);

-- What is not sealed yet (the migration's own events are sealed by 0013's
-- last statement already).
INSERT INTO audit_queue (event_id)
    SELECT e.seq FROM audit_event e
     WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq);

CREATE FUNCTION audit_event_enqueue() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO audit_queue (event_id) SELECT n.seq FROM audit_new n;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_event_enqueue AFTER INSERT ON audit_event
    REFERENCING NEW TABLE AS audit_new
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_enqueue();
CREATE TRIGGER audit_queue_no_truncate BEFORE TRUNCATE ON audit_queue
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Chains up to lim queued, committed events in event id order after the
-- head; returns how many (0 also when another session holds the sealer's
-- lock). A queue row whose event is already chained is dropped; one whose
-- event is gone is left for `sokuho audit verify` to name.
CREATE OR REPLACE FUNCTION audit_seal(lim integer) RETURNS integer
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    s bigint;
    h bytea;
    ev audit_event;
    n integer := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(1936024940) THEN
        RETURN 0;
    END IF;
    SELECT c.seq, c.hash INTO s, h FROM audit_chain c ORDER BY c.seq DESC LIMIT 1;
    s := coalesce(s, 0);
    h := coalesce(h, '\x'::bytea);
    FOR ev IN SELECT e.* FROM audit_queue q JOIN audit_event e ON e.seq = q.event_id
               ORDER BY q.event_id LIMIT lim LOOP
        DELETE FROM audit_queue WHERE event_id = ev.seq;
        CONTINUE WHEN EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = ev.seq);
        s := s + 1;
        INSERT INTO audit_chain (seq, event_id, prev_hash, hash)
            VALUES (s, ev.seq, h, audit_digest(s, h, ev)) RETURNING hash INTO h;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- How far behind the sealer is: the queued events and the age of the
-- oldest (by the database clock), for /healthz and /metrics.
CREATE FUNCTION audit_seal_lag(OUT pending bigint, OUT oldest_seconds double precision)
    LANGUAGE sql STABLE
    AS $$ SELECT count(*), coalesce(extract(epoch FROM sokuho_now() - min(e.at)), 0)::double precision
            FROM audit_queue q JOIN audit_event e ON e.seq = q.event_id $$;

-- The application role: events appended, queue rows only through the
-- trigger, the chain only through audit_seal. Called by `sokuho migrate`
-- after sokuho_grant_app() (which grants every table).
CREATE OR REPLACE FUNCTION sokuho_grant_audit() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF to_regrole('sokuho_app') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM sokuho_app;
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_chain FROM sokuho_app;
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_checkpoint FROM sokuho_app;
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_queue FROM sokuho_app;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION sokuho_grant_audit() FROM PUBLIC;
