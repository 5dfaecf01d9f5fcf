-- The 10,000th report of a year: lpad(n, 4) cut its number to four digits
-- (INC-2026-1000 again, refused by the unique index). Numbers grow past four
-- digits instead: INC-2026-9999, INC-2026-10000 (the reference's CHECK allows
-- four or more).
CREATE OR REPLACE FUNCTION next_incident_ref(ts timestamptz) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    y integer := extract(year FROM ts AT TIME ZONE 'Asia/Tokyo');
    n integer;
BEGIN
    INSERT INTO incident_counter (year, last) VALUES (y, 1)
        ON CONFLICT (year) DO UPDATE SET last = incident_counter.last + 1
        RETURNING last INTO n;
    RETURN 'INC-' || y || '-' || lpad(n::text, greatest(4, length(n::text)), '0');
END
$$;
