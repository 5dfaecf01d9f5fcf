-- API tokens for integrations (a monitoring system that files incidents
-- itself). A token acts as one person, so authorization and the audit log
-- see that person; it is stored only as its SHA-256 and shown once. Each
-- token may make a limited number of requests per minute (api_token_rate).

CREATE TABLE api_token (
    id serial PRIMARY KEY,
    name text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    person_id integer NOT NULL REFERENCES person (id),
    scopes text[] NOT NULL CHECK (cardinality(scopes) > 0
        AND scopes <@ ARRAY['file', 'read', 'act']::text[]),
    created_by integer REFERENCES person (id),
    created_at timestamptz NOT NULL DEFAULT sokuho_now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by integer REFERENCES person (id)
);

-- Requests per token per minute; rows older than an hour are swept when the
-- token's last_used_at is touched.
CREATE TABLE api_token_rate (
    token_id integer NOT NULL REFERENCES api_token (id),
    minute timestamptz NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (token_id, minute)
);
