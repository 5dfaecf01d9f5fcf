-- Legal periods as the law counts them (issue 19, docs/legal.md): beside the
-- due moment, a legal deadline keeps the dates src/wf/legal_period.c gives
-- when it is written (a running deadline never moves, as due_at does not).
--   last_day     the legal last day of a period of the law (the 確報: day 1
--                the day of awareness, a last day on a 行政機関の休日 moved
--                past it); the period ends at the end of this day. NULL when
--                the law sets no period (the 速報's 速やかに).
--   target_day   the city's internal target: for a period, an office day of
--                the city calendar some office days before last_day, never
--                after it; for the 速報, day 3 of the guidelines' おおむね3〜5日.
--   guide_until  the 速報's day 5, the outer edge of that guidance.
-- All NULL for rows written before this migration and for deadlines of
-- legal-clocks.json without "count".

ALTER TABLE legal_deadline
    ADD COLUMN last_day date,
    ADD COLUMN target_day date,
    ADD COLUMN guide_until date,
    ADD CONSTRAINT legal_deadline_target_in_time
        CHECK (target_day IS NULL OR last_day IS NULL OR target_day <= last_day);
