-- The transactional outbox: every message that must leave Guichet (webhook, e-mail) is a row
-- written in the same transaction as the event that causes it, then delivered at least once
-- by background workers (several instances share them with FOR UPDATE SKIP LOCKED). Rows are
-- mutable (attempts, state); the events are not.

CREATE TABLE outbox (
    id               UUID PRIMARY KEY,      -- UUID v7: creation order
    idempotency_key  UUID NOT NULL UNIQUE,  -- sent with every attempt; receivers apply it once
    request_id       UUID NOT NULL REFERENCES requests (id),
    channel          TEXT NOT NULL,         -- webhook | email
    target           TEXT NOT NULL,         -- webhook id, or e-mail address
    kind             TEXT NOT NULL,         -- the event (webhooks) or the e-mail template
    payload          JSONB NOT NULL,
    state            TEXT NOT NULL,         -- pending | delivered | dead
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,  -- also the lease: a claimed row is pushed into the future
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
