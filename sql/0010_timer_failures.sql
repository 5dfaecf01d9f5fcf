-- A timer whose application fails must not stall the engine: each timer is
-- applied under its own savepoint, and one that fails is tried again later
-- (capped backoff, retry_at) while the rest of its batch goes on. After a few
-- failed attempts it is marked failed (failed_at) with its error and no
-- longer picked up, until someone retries it (`sokuho timer retry ID`).

ALTER TABLE timer
    ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- the cause of the last failed attempt; never empty
    ADD COLUMN last_error text CHECK (last_error <> ''),
    -- not before this time again (NULL: at fire_at)
    ADD COLUMN retry_at timestamptz,
    ADD COLUMN failed_at timestamptz,
    ADD CONSTRAINT timer_failed_has_error CHECK (failed_at IS NULL OR last_error IS NOT NULL);

-- The engine reads only timers that can still fire; failed ones are counted
-- by /metrics and listed on the dashboard.
DROP INDEX timer_due;
CREATE INDEX timer_due ON timer (fire_at) WHERE fired_at IS NULL AND failed_at IS NULL;
CREATE INDEX timer_failed ON timer (failed_at) WHERE fired_at IS NULL AND failed_at IS NOT NULL;
