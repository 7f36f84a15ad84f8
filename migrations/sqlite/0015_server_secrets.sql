-- Secrets the server makes for itself, once, and every instance on this database shares: the
-- key that signs the answers a multi-step form carries from page to page. Kept here so that
-- several instances behind a load balancer, and a restarted one, accept each other's pages.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,          -- hexadecimal
    created_at TEXT NOT NULL
);
