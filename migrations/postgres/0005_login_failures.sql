-- Failed logins per (e-mail address as typed, client address) instead of per account: a
-- stranger's wrong passwords lock the stranger's own pair, never the agent out, and an
-- address that has no account is counted like one that has (see src/auth/mod.rs).

CREATE TABLE login_failures (
    email            TEXT NOT NULL,         -- as typed, trimmed and lower-cased
    client           TEXT NOT NULL,         -- IPv4 address, or the /64 of an IPv6 one
    failures         INTEGER NOT NULL,      -- attempts since the last success, reset or quiet spell
    last_failure_at  TIMESTAMPTZ NOT NULL,
    locked_until     TIMESTAMPTZ,
    PRIMARY KEY (email, client)
);
CREATE INDEX login_failures_by_time ON login_failures (last_failure_at);

-- The per-account lock they replace.
ALTER TABLE staff_users DROP COLUMN failed_logins;
ALTER TABLE staff_users DROP COLUMN locked_until;
