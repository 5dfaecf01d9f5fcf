-- Reports by e-mail (issue 20): each mail `sokuho mail-intake` stores is a
-- mail_report row of its incident. An authenticated member of staff's mail
-- is their report (channel 'staff'); any other waits in the intake queue as
-- an outside report (0028). The same original reported again (the same
-- Message-ID, the same sender and subject within a day, or the same
-- attachment) is another mail_report row of the first incident: one
-- incident and one ladder, with each reporter and time ("also reported by").
-- The indicators of the forwarded original are mail_indicator rows of the
-- incident, searchable by value.

CREATE TABLE mail_report (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    arrived_at timestamptz NOT NULL DEFAULT sokuho_now(),
    -- who sent it: the From address, the person it is authenticated as
    sender text NOT NULL,
    sender_name text NOT NULL DEFAULT '',
    reporter_id integer REFERENCES person (id),
    authenticated boolean NOT NULL,
    auth_via text NOT NULL DEFAULT '' CHECK (auth_via IN ('', 'dmarc', 'spf', 'dkim', 'relay')),
    subject text NOT NULL DEFAULT '',
    message_id text NOT NULL DEFAULT '',
    -- the raw message (also kept as evidence): a delivery repeated after an
    -- unanswered COMMIT is recognised and stored once
    raw_sha256 text NOT NULL UNIQUE,
    -- the forwarded original: how it came and what identifies it
    original_shape text NOT NULL CHECK (original_shape IN ('attached', 'inline', 'none')),
    original_from text NOT NULL DEFAULT '',
    original_subject text NOT NULL DEFAULT '',
    original_message_id text NOT NULL DEFAULT '',
    -- the first report of its incident, or one linked to it
    linked boolean NOT NULL DEFAULT false,
    facts jsonb NOT NULL
);
CREATE INDEX mail_report_incident ON mail_report (incident_id, arrived_at);
CREATE INDEX mail_report_original_id ON mail_report (original_message_id)
    WHERE original_message_id <> '';
CREATE INDEX mail_report_original_from ON mail_report (original_from, original_subject, arrived_at)
    WHERE original_from <> '';

CREATE TABLE mail_indicator (
    incident_id bigint NOT NULL REFERENCES incident (id),
    kind text NOT NULL CHECK (kind IN ('from', 'reply_to', 'return_path', 'received',
                                       'auth_results', 'message_id', 'url', 'domain',
                                       'attachment')),
    value text NOT NULL CHECK (value <> ''),
    -- an attachment's name, type and size; a Received hop's header
    detail jsonb,
    PRIMARY KEY (incident_id, kind, value)
);
CREATE INDEX mail_indicator_value ON mail_indicator (lower(value));
