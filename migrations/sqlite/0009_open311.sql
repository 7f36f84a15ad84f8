-- Open311 GeoReport v2: the applications' API keys. Only the key's SHA-256 is stored; the key
-- itself is shown once, when an admin creates it. A revoked key stays listed (who had it, when
-- it was last used) but opens nothing.

CREATE TABLE open311_keys (
    id            TEXT PRIMARY KEY,         -- UUID v7
    name          TEXT NOT NULL,            -- the application, as the admin named it
    key_hash      TEXT NOT NULL UNIQUE,     -- SHA-256 of the key
    created_by    TEXT NOT NULL,            -- the admin's e-mail
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
);

-- Open311's request listings: a window of filing dates, newest first.
CREATE INDEX requests_by_creation ON requests (created_at);
