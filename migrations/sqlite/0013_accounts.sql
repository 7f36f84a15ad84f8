-- Accounts in the browser: each account's append-only history of changes, the links that
-- let a person choose their password (stored hashed, single use, 24 hours), the time of
-- its last sign-in, and e-mails that are about an account rather than a request.

ALTER TABLE staff_users ADD COLUMN last_sign_in_at TEXT;

CREATE TABLE account_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL REFERENCES staff_users (id),
    kind        TEXT NOT NULL,          -- created | access_changed | disabled | enabled | link_sent | password_set
    actor       TEXT NOT NULL,          -- who: an admin's e-mail, the account's own, or « ligne de commande »
    detail      TEXT NOT NULL,          -- JSON: what (the access before and after, a link's reason…)
    created_at  TEXT NOT NULL
);
CREATE INDEX account_events_by_account ON account_events (account_id, id);
CREATE TRIGGER account_events_no_update BEFORE UPDATE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account_events is append-only');
END;
CREATE TRIGGER account_events_no_delete BEFORE DELETE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account_events is append-only');
END;

CREATE TABLE password_links (
    token_hash  TEXT PRIMARY KEY,       -- SHA-256 of the link's token, which only the e-mail holds
    account_id  TEXT NOT NULL REFERENCES staff_users (id),
    reason      TEXT NOT NULL,          -- invitation | forgotten
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    spent_at    TEXT                    -- used, or replaced (a later link, a new password, the account disabled)
);
CREATE INDEX password_links_by_account ON password_links (account_id, created_at);

-- An outbox row may be about an account (a password-set link) rather than a request.
-- SQLite cannot drop a NOT NULL: the table is rebuilt (nothing references it).
CREATE TABLE outbox_rebuilt (
    id               TEXT PRIMARY KEY,      -- UUID v7: creation order
    idempotency_key  TEXT NOT NULL UNIQUE,  -- sent with every attempt; receivers apply it once
    request_id       TEXT REFERENCES requests (id),  -- NULL: an e-mail about an account
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
INSERT INTO outbox_rebuilt (id, idempotency_key, request_id, channel, target, kind, payload, state,
                            attempts, next_attempt_at, last_error, created_at, delivered_at)
    SELECT id, idempotency_key, request_id, channel, target, kind, payload, state,
           attempts, next_attempt_at, last_error, created_at, delivered_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
