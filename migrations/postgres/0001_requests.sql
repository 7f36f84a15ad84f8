-- Requests, their append-only history, and the form versions they were filed under.
-- Same model as migrations/sqlite, with native types: uuid, timestamptz, jsonb.

CREATE TABLE form_versions (
    version      TEXT PRIMARY KEY,          -- hash of the canonical content
    form_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    definition   JSONB NOT NULL,            -- the effective JSON Schema
    rule_source  TEXT,
    git_commit   TEXT,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX form_versions_by_form ON form_versions (form_id, recorded_at);

CREATE TABLE requests (
    id               UUID PRIMARY KEY,      -- UUID v7
    reference        TEXT NOT NULL UNIQUE,  -- GU-XXXX-XXXX
    tracking_hash    TEXT NOT NULL UNIQUE,  -- SHA-256 of the tracking token; the token is never stored
    form_id          TEXT NOT NULL,
    form_version     TEXT NOT NULL REFERENCES form_versions (version),
    commune          TEXT,
    channel          TEXT NOT NULL,
    data             JSONB NOT NULL,
    status           TEXT NOT NULL,
    service          TEXT NOT NULL,
    queue            TEXT NOT NULL,
    priority         TEXT NOT NULL,
    tags             JSONB NOT NULL,        -- array of strings
    routing_reason   TEXT,
    routing_fallback TEXT,                  -- why the rule could not decide, if it could not
    due_at           TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX requests_by_queue ON requests (queue, status, created_at);
CREATE INDEX requests_by_commune ON requests (commune, created_at);

CREATE TABLE request_events (
    id                 BIGSERIAL PRIMARY KEY,
    request_id         UUID NOT NULL REFERENCES requests (id),
    kind               TEXT NOT NULL,
    actor              TEXT NOT NULL,
    visible_to_citizen BOOLEAN NOT NULL,
    body               JSONB NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX request_events_by_request ON request_events (request_id, id);

-- The history is append-only: every action is a new event, nothing is rewritten.
CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END;
$$;
CREATE TRIGGER request_events_no_update BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_append_only();
