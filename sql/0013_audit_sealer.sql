-- The audit log appends without a lock and is chained afterwards (issue 17).
--
-- An audit_event insert no longer takes the global advisory lock nor computes
-- a hash: its seq is its event id from a sequence. A sealer (src/db/seal.c,
-- one at a time across all processes) chains committed, unsealed events, in
-- event id order, into audit_chain: one row per event, its place (seq), the
-- hash before it and its own. The digest is audit_digest() below, the only
-- implementation: the sealer and `sokuho audit verify` both call it.
-- audit_checkpoint keeps signed heads of the chain (stage 2 of the issue).

DROP TRIGGER audit_event_chain ON audit_event;
DROP FUNCTION audit_event_chain();

CREATE SEQUENCE audit_event_seq OWNED BY audit_event.seq;
SELECT setval('audit_event_seq', coalesce((SELECT max(seq) FROM audit_event), 0) + 1, false);
ALTER TABLE audit_event ALTER COLUMN seq SET DEFAULT nextval('audit_event_seq');
-- the old in-row chain is superseded by audit_chain
ALTER TABLE audit_event ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_event ALTER COLUMN hash DROP NOT NULL;

-- One field of the encoding: NULL is the byte 0, a value is the byte 1, its
-- length in bytes (4 bytes, big-endian) and its UTF-8 bytes; so no two
-- different events encode alike (NULL is not the empty string, and no
-- separator can be forged inside a field).
CREATE FUNCTION audit_field(v text) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
                      ELSE '\x01'::bytea || int4send(octet_length(v)) || convert_to(v, 'UTF8') END $$;

-- The hash of event e at place seq of the chain, after the hash prev:
-- SHA-256 of prev, then the fields seq, event id, time (UTC, microseconds),
-- actor, kind, address, detail (jsonb's canonical text) and incident.
CREATE FUNCTION audit_digest(seq bigint, prev bytea, e audit_event) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT sha256(audit_field(encode(prev, 'hex')) || audit_field(seq::text)
                 || audit_field(e.seq::text)
                 || audit_field(to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))
                 || audit_field(e.actor_id::text) || audit_field(e.kind) || audit_field(e.ip::text)
                 || audit_field(e.detail::text) || audit_field(e.incident_id::text)) $$;

CREATE TABLE audit_chain (
    seq bigint PRIMARY KEY,
    event_id bigint NOT NULL UNIQUE,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT sokuho_now()
);

CREATE TABLE audit_checkpoint (
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    at timestamptz NOT NULL,
    key_id text NOT NULL,
    signature bytea NOT NULL,
    PRIMARY KEY (seq, at)
);

-- Append-only, and TRUNCATE refused, for the whole audit log.
CREATE FUNCTION audit_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Chains up to lim committed, unsealed events in event id order after the
-- head; returns how many. The caller holds the sealer's lock (seal.c).
CREATE FUNCTION audit_seal(lim integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    s bigint;
    h bytea;
    ev audit_event;
    n integer := 0;
BEGIN
    SELECT c.seq, c.hash INTO s, h FROM audit_chain c ORDER BY c.seq DESC LIMIT 1;
    s := coalesce(s, 0);
    h := coalesce(h, '\x'::bytea);
    FOR ev IN SELECT e.* FROM audit_event e
               WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.seq)
               ORDER BY e.seq LIMIT lim LOOP
        s := s + 1;
        INSERT INTO audit_chain (seq, event_id, prev_hash, hash)
            VALUES (s, ev.seq, h, audit_digest(s, h, ev)) RETURNING hash INTO h;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- The existing events, in their old order, are the chain's beginning.
SELECT audit_seal(2147483647);

-- The application role reads and appends to the chain and the checkpoints
-- and nothing more; `sokuho migrate` calls this after sokuho_grant_app().
CREATE FUNCTION sokuho_grant_audit() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF to_regrole('sokuho_app') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_chain, audit_checkpoint
            FROM sokuho_app;
        REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM sokuho_app;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION sokuho_grant_audit() FROM PUBLIC;
