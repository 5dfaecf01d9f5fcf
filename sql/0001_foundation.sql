-- Foundation: the database clock and the instance record.
--
-- Every time the application uses comes from sokuho_now(), never from the
-- host, so that all processes agree and tests can shift the clock with
-- clock_offset instead of sleeping.

CREATE TABLE clock_offset (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    offset_by interval NOT NULL DEFAULT '0'
);
INSERT INTO clock_offset DEFAULT VALUES;

CREATE FUNCTION sokuho_now() RETURNS timestamptz
    LANGUAGE sql STABLE
    AS $$ SELECT now() + (SELECT offset_by FROM clock_offset) $$;

-- One row: when this database was set up, shown on the home page and in
-- /healthz so that operators can tell one installation from another.
CREATE TABLE instance (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    installed_at timestamptz NOT NULL DEFAULT now(),
    instance_id uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO instance DEFAULT VALUES;
