-- Back office: staff accounts, their sessions and API tokens, and what handling a request
-- adds to it (assignee, paused deadline clock, who filed it on the citizen's behalf).

CREATE TABLE staff_users (
    id             TEXT PRIMARY KEY,        -- UUID v4
    email          TEXT NOT NULL UNIQUE,    -- lower-case; also the actor name in events
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,           -- admin | designer | agent | elu
    services       TEXT NOT NULL,           -- JSON array of service ids
    communes       TEXT NOT NULL,           -- JSON array of commune slugs
    password_hash  TEXT NOT NULL,           -- argon2id PHC string
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,           -- SHA-256 of the cookie's token
    user_id     TEXT NOT NULL REFERENCES staff_users (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,           -- SHA-256 of the token, shown once
    user_id     TEXT NOT NULL REFERENCES staff_users (id),
    created_at  TEXT NOT NULL
);

ALTER TABLE requests ADD COLUMN assignee TEXT;          -- staff e-mail
ALTER TABLE requests ADD COLUMN paused_at TEXT;         -- deadline clock paused since (waiting for the citizen)
ALTER TABLE requests ADD COLUMN filed_by TEXT;          -- the élu who filed it for a citizen
ALTER TABLE requests ADD COLUMN citizen_contact TEXT;   -- given when an élu files by phone, mail…
ALTER TABLE requests ADD COLUMN last_event TEXT NOT NULL DEFAULT 'routed';

-- Queue listings: keyset pagination by age (id is a UUID v7, so id order is filing order)
-- or by due date, requests without a due date last.
DROP INDEX requests_by_queue;
DROP INDEX requests_by_commune;
CREATE INDEX requests_queue_by_age ON requests (queue, id);
CREATE INDEX requests_queue_by_due ON requests (queue, coalesce(due_at, '9999-12-31T23:59:59.999999Z'), id);
CREATE INDEX requests_queue_status_by_age ON requests (queue, status, id);
CREATE INDEX requests_queue_commune_by_age ON requests (queue, commune, id);
-- Covers the per-status and overdue counts of a queue, scope included.
CREATE INDEX requests_queue_counts ON requests (queue, status, service, due_at);
CREATE INDEX requests_service_by_age ON requests (service, id);
CREATE INDEX requests_commune_by_age ON requests (commune, id);
