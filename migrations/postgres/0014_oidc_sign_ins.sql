-- OpenID Connect sign-ins under way: what the callback needs to finish one (the nonce the ID
-- token must carry and the PKCE verifier), kept server-side so that every instance sharing
-- the database can finish what another began. Single use; gone after ten minutes.
CREATE TABLE oidc_sign_ins (
    state_hash     TEXT PRIMARY KEY,   -- SHA-256 of the `state` sent to the provider
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_sign_ins_by_expiry ON oidc_sign_ins (expires_at);
