-- Sending the outbox: leases so that several senders never send one row at
-- the same time, retries with backoff, one Message-ID per row across
-- retries, and the secret that signs acknowledge links in mail.

ALTER TABLE outbox
    ADD COLUMN fence integer,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN last_error text,
    ADD COLUMN message_id text,
    ADD COLUMN sent_at timestamptz,
    ADD COLUMN ack_used_at timestamptz,
    -- what was last rendered and sent, for the admin page and audits
    ADD COLUMN subject text,
    ADD COLUMN body text;
DROP INDEX outbox_queued;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';

-- New rows wake the senders (once per statement, delivered at commit); a
-- statement that inserted nothing (ON CONFLICT DO NOTHING) wakes nobody, or
-- a sender queueing its daily digest would wake itself for ever.
CREATE FUNCTION outbox_wake() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        PERFORM pg_notify('sokuho_mail', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();

-- One row: the key that signs acknowledge links (HMAC-SHA256). Made here
-- from the database's strong random generator; rotate it by updating the row
-- (links already sent then stop working).
CREATE TABLE signing_key (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    secret text NOT NULL
);
INSERT INTO signing_key (secret)
    SELECT replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text,
                   '-', '');
