-- The transactional outbox: every message that must leave Guichet (webhook, e-mail) is a row
-- written in the same transaction as the event that causes it, then delivered at least once
-- by a background worker. Rows are mutable (attempts, state); the events are not.

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,      -- UUID v7: creation order
    idempotency_key  TEXT NOT NULL UNIQUE,  -- sent with every attempt; receivers apply it once
    request_id       TEXT NOT NULL REFERENCES requests (id),
    channel          TEXT NOT NULL,         -- webhook | email
    target           TEXT NOT NULL,         -- webhook id, or e-mail address
    kind             TEXT NOT NULL,         -- the event (webhooks) or the e-mail template
    payload          TEXT NOT NULL,         -- JSON
    state            TEXT NOT NULL,         -- pending | delivered | dead
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,         -- also the lease: a claimed row is pushed into the future
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
