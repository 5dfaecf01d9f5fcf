-- Incidents: what a report records (DOMAIN.md), their reference numbers, the
-- legal clocks they started, evidence files and notes. The timeline of an
-- incident is its rows in the audit log.

CREATE TABLE category (
    key text PRIMARY KEY,
    title_ja text NOT NULL,
    title_en text NOT NULL,
    hint_ja text NOT NULL DEFAULT '',
    hint_en text NOT NULL DEFAULT '',
    sort integer NOT NULL
);
INSERT INTO category (key, title_ja, title_en, hint_ja, hint_en, sort) VALUES
    ('malware', 'マルウェア感染（ランサムウェアを含む）', 'Malware infection (incl. ransomware)',
     'ネットワークから切り離し、電源は切らないでください。', 'Unplug the network cable; do not switch the device off.', 10),
    ('unauthorized_access', '不正アクセス', 'Unauthorised access', '', '', 20),
    ('leak', '情報漏えい（誤送付・誤送信・誤公開を含む）', 'Data leak (incl. mis-sent mail and mistaken publication)',
     '誤送信したメールは、相手に削除を依頼し、削除の確認を記録してください。', 'Ask the recipient to delete a mis-sent mail and record their confirmation.', 30),
    ('loss_theft', '紛失・盗難', 'Loss or theft', '', '', 40),
    ('tampering', '改ざん・消失・破壊', 'Tampering, loss or destruction of data', '', '', 50),
    ('dos', 'サービス停止・DoS', 'Service outage or DoS', '', '', 60),
    ('system_failure', 'システム・ネットワーク障害', 'System or network failure', '', '', 70),
    ('suspicious_mail', '不審メール', 'Suspicious e-mail',
     '添付ファイルやリンクを開かず、メールは削除せずに残してください。', 'Do not open attachments or links; keep the mail.', 80),
    ('policy_violation', '内部不正・ポリシー違反', 'Insider misconduct or policy violation', '', '', 90),
    ('contractor', '委託先起因', 'Caused by a contractor', '', '', 100),
    ('other', 'その他', 'Other', '', '', 110);

-- One counter per calendar year (Japan time): the row lock taken by the
-- increment numbers concurrent reports one after another, and a rolled-back
-- report gives its number back.
CREATE TABLE incident_counter (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE incident (
    id bigserial PRIMARY KEY,
    ref text NOT NULL UNIQUE CHECK (ref ~ '^INC-[0-9]{4}-[0-9]{4,}$'),
    channel text NOT NULL CHECK (channel IN ('staff', 'external', 'api')),
    reporter_id integer REFERENCES person (id),
    external_name text,
    external_contact text,
    section_id integer REFERENCES org_unit (id),
    site_id integer REFERENCES site (id),
    category text NOT NULL REFERENCES category (key),
    severity integer CHECK (severity BETWEEN 0 AND 3),
    summary text NOT NULL CHECK (summary <> ''),
    description text NOT NULL DEFAULT '',
    how_found text NOT NULL DEFAULT '',
    discovered_at timestamptz NOT NULL,
    occurred_at timestamptz,
    reported_at timestamptz NOT NULL DEFAULT sokuho_now(),
    segments text[] NOT NULL DEFAULT '{}'
        CHECK (segments <@ ARRAY['mynumber', 'lgwan', 'internet', 'unknown']),
    system_id integer REFERENCES info_system (id),
    system_text text NOT NULL DEFAULT '',
    pd_involved text NOT NULL DEFAULT 'unknown' CHECK (pd_involved IN ('yes', 'no', 'unknown')),
    pd_persons integer CHECK (pd_persons >= 0),
    pd_items text NOT NULL DEFAULT '',
    pd_sensitive text NOT NULL DEFAULT 'unknown' CHECK (pd_sensitive IN ('yes', 'no', 'unknown')),
    pd_mynumber text NOT NULL DEFAULT 'unknown' CHECK (pd_mynumber IN ('yes', 'no', 'unknown')),
    pd_encrypted text NOT NULL DEFAULT 'unknown' CHECK (pd_encrypted IN ('yes', 'no', 'unknown')),
    pd_malicious text NOT NULL DEFAULT 'unknown' CHECK (pd_malicious IN ('yes', 'no', 'unknown')),
    pd_financial text NOT NULL DEFAULT 'unknown' CHECK (pd_financial IN ('yes', 'no', 'unknown')),
    contractor text NOT NULL DEFAULT '',
    bcp boolean NOT NULL DEFAULT false,
    -- the facts the legal clocks were evaluated on, as the rules saw them
    facts jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT sokuho_now(),
    CHECK (channel <> 'staff' OR reporter_id IS NOT NULL),
    CHECK (channel <> 'external' OR external_name IS NOT NULL)
);
CREATE INDEX incident_reporter ON incident (reporter_id, reported_at DESC);
CREATE INDEX incident_section ON incident (section_id);
CREATE INDEX incident_reported ON incident (reported_at DESC);

-- Deadlines the law sets, computed when the report is filed.
CREATE TABLE legal_deadline (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    clock text NOT NULL,
    key text NOT NULL,
    title_ja text NOT NULL,
    title_en text NOT NULL,
    due_at timestamptz NOT NULL,
    met_at timestamptz,
    UNIQUE (incident_id, key)
);
CREATE INDEX legal_deadline_open ON legal_deadline (due_at) WHERE met_at IS NULL;

CREATE TABLE attachment (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    filename text NOT NULL CHECK (filename <> ''),
    content_type text NOT NULL,
    size integer NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL,
    data bytea NOT NULL,
    uploaded_by integer REFERENCES person (id),
    uploaded_at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX attachment_incident ON attachment (incident_id);

CREATE TABLE incident_note (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    author_id integer REFERENCES person (id),
    body text NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX incident_note_incident ON incident_note (incident_id);

-- Reports from outside the city's staff, for the per-address rate limit.
CREATE TABLE public_report_rate (
    ip inet NOT NULL,
    at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX public_report_rate_ip ON public_report_rate (ip, at);

-- The audit log learns which incident an event belongs to; the incident is
-- part of the chained hash from now on.
ALTER TABLE audit_event ADD COLUMN incident_id bigint REFERENCES incident (id);
CREATE INDEX audit_event_incident ON audit_event (incident_id, seq);

CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    last record;
BEGIN
    PERFORM pg_advisory_xact_lock(7365756469); -- "audit"
    SELECT a.seq, a.hash INTO last FROM audit_event a ORDER BY a.seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, '\x'::bytea);
    NEW.hash := sha256(NEW.prev_hash || convert_to(
        concat_ws('|', NEW.seq, to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                  NEW.actor_id, NEW.kind, host(NEW.ip), NEW.detail::text, NEW.incident_id), 'UTF8'));
    RETURN NEW;
END
$$;

-- The next reference for the year of ts (Japan time): INC-2026-0001 ...
CREATE FUNCTION next_incident_ref(ts timestamptz) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    y integer := extract(year FROM ts AT TIME ZONE 'Asia/Tokyo');
    n integer;
BEGIN
    INSERT INTO incident_counter (year, last) VALUES (y, 1)
        ON CONFLICT (year) DO UPDATE SET last = incident_counter.last + 1
        RETURNING last INTO n;
    RETURN 'INC-' || y || '-' || lpad(n::text, 4, '0');
END
$$;
