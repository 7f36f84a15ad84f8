-- API tokens get a name, an expiry, a scope and a last use, and can be revoked one by one.
-- Tokens made before this never expired: they now expire in 90 days.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'ligne de commande';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;  -- NULL: never (no token is made so)
ALTER TABLE api_tokens ADD COLUMN can_act BOOLEAN NOT NULL DEFAULT TRUE;  -- false: read only
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = now() + interval '90 days';
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
