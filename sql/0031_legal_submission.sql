-- The legal reports as submitted (issue 21): the 速報 / 確報 to the PPC (or
-- the My Number report), recorded by the CSIRT or the chief security officer
-- (src/incident/submission.c): when it was sent, who recorded it, the PPC's
-- number (委員会受付番号) and the text as sent, kept frozen as an evidence
-- file (attachment) whose SHA-256 is repeated here. Recording it marks the
-- legal deadline met at submitted_at; late says it was sent after due_at,
-- and stays so (a late report is shown late, never hidden). One submission
-- per legal deadline.
CREATE TABLE legal_submission (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    deadline_id bigint NOT NULL UNIQUE REFERENCES legal_deadline (id),
    key text NOT NULL,
    submitted_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT sokuho_now(),
    recorded_by integer NOT NULL REFERENCES person (id),
    ppc_number text NOT NULL CHECK (ppc_number <> '' AND length(ppc_number) <= 100),
    attachment_id bigint NOT NULL REFERENCES attachment (id),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    late boolean NOT NULL,
    CHECK (submitted_at <= recorded_at)
);
CREATE INDEX legal_submission_incident ON legal_submission (incident_id);
