-- Accounts in the browser: each account's append-only history of changes, the links that
-- let a person choose their password (stored hashed, single use, 24 hours), the time of
-- its last sign-in, and e-mails that are about an account rather than a request.

ALTER TABLE staff_users ADD COLUMN last_sign_in_at TIMESTAMPTZ;

CREATE TABLE account_events (
    id          BIGSERIAL PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES staff_users (id),
    kind        TEXT NOT NULL,          -- created | access_changed | disabled | enabled | link_sent | password_set
    actor       TEXT NOT NULL,          -- who: an admin's e-mail, the account's own, or « ligne de commande »
    detail      JSONB NOT NULL,         -- what (the access before and after, a link's reason…)
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_events_by_account ON account_events (account_id, id);
CREATE FUNCTION account_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'account_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER account_events_no_change BEFORE UPDATE OR DELETE ON account_events
    FOR EACH ROW EXECUTE FUNCTION account_events_append_only();

CREATE TABLE password_links (
    token_hash  TEXT PRIMARY KEY,       -- SHA-256 of the link's token, which only the e-mail holds
    account_id  UUID NOT NULL REFERENCES staff_users (id),
    reason      TEXT NOT NULL,          -- invitation | forgotten
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    spent_at    TIMESTAMPTZ             -- used, or replaced (a later link, a new password, the account disabled)
);
CREATE INDEX password_links_by_account ON password_links (account_id, created_at);

-- An outbox row may be about an account (a password-set link) rather than a request.
ALTER TABLE outbox ALTER COLUMN request_id DROP NOT NULL;
