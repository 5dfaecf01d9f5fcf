-- The workflow engine: immutable versions of workflow definitions, the runs
-- of each incident, their timers, the history of transitions, and the
-- notification outbox the mailer sends from.

CREATE TABLE workflow_def (
    id serial PRIMARY KEY,
    name text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    sha256 text NOT NULL,
    -- the file's bytes exactly as loaded (sha256 is theirs) and as JSON
    source text NOT NULL,
    definition jsonb NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT sokuho_now(),
    UNIQUE (name, version)
);

CREATE TABLE workflow_run (
    id bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id),
    def_id integer NOT NULL REFERENCES workflow_def (id),
    state text NOT NULL,
    entered_at timestamptz NOT NULL DEFAULT sokuho_now(),
    -- how far up the escalation ladder of the current state it has gone
    escalation_level integer NOT NULL DEFAULT 0,
    -- bumped by every transition: a timer made for an older fence is stale
    fence integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT sokuho_now(),
    finished_at timestamptz,
    UNIQUE (incident_id, def_id)
);
CREATE INDEX workflow_run_incident ON workflow_run (incident_id);
CREATE INDEX workflow_run_open ON workflow_run (state) WHERE finished_at IS NULL;

CREATE TABLE workflow_transition (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES workflow_run (id),
    from_state text,
    to_state text NOT NULL,
    action text,
    actor_id integer REFERENCES person (id),
    fields jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX workflow_transition_run ON workflow_transition (run_id, id);

-- kind: escalation (step = ladder index), remind (step = reminder index),
-- deadline (the state's deadline passes). A timer fires once: fired_at is
-- set in the same transaction that applies it.
CREATE TABLE timer (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES workflow_run (id),
    kind text NOT NULL CHECK (kind IN ('escalation', 'remind', 'deadline')),
    step integer NOT NULL DEFAULT 0,
    repeat integer NOT NULL DEFAULT 0,
    fence integer NOT NULL,
    fire_at timestamptz NOT NULL,
    fired_at timestamptz,
    outcome text,
    UNIQUE (run_id, fence, kind, step, repeat)
);
CREATE INDEX timer_due ON timer (fire_at) WHERE fired_at IS NULL;

-- Deadlines of workflow states, for pages and the dashboard.
CREATE TABLE workflow_deadline (
    run_id bigint NOT NULL REFERENCES workflow_run (id),
    fence integer NOT NULL,
    key text NOT NULL,
    state text NOT NULL,
    title_ja text NOT NULL,
    title_en text NOT NULL,
    due_at timestamptz NOT NULL,
    met_at timestamptz,
    PRIMARY KEY (run_id, fence, key)
);
CREATE INDEX workflow_deadline_open ON workflow_deadline (due_at) WHERE met_at IS NULL;

-- Notifications: written in the same transaction as the change that causes
-- them; the dedup key (run, step, escalation level, recipient) makes a
-- retried transaction harmless. The mailer (sokuho serve / worker) sends
-- them.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    dedup_key text NOT NULL UNIQUE,
    incident_id bigint REFERENCES incident (id),
    run_id bigint REFERENCES workflow_run (id),
    recipient_id integer REFERENCES person (id),
    email text NOT NULL,
    lang text NOT NULL DEFAULT 'ja',
    template text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'dead')),
    created_at timestamptz NOT NULL DEFAULT sokuho_now()
);
CREATE INDEX outbox_queued ON outbox (created_at) WHERE status = 'queued';
CREATE INDEX outbox_incident ON outbox (incident_id);
