-- API tokens get a name, an expiry, a scope and a last use, and can be revoked one by one.
-- Tokens made before this never expired: they now expire in 90 days.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'ligne de commande';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;        -- NULL: never (no token is made so)
ALTER TABLE api_tokens ADD COLUMN can_act INTEGER NOT NULL DEFAULT 1;  -- 0: read only
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '+90 days');
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
