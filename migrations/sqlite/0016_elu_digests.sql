-- Élus who asked for a daily e-mail summing up their communes' new and resolved requests,
-- and up to when the last one went (the next covers what happened after).
CREATE TABLE elu_digests (
    user_id     TEXT PRIMARY KEY REFERENCES staff_users (id),
    sent_until  TEXT NOT NULL
);

-- The digest's "resolved since" reads status changes by time.
CREATE INDEX request_events_by_kind_time ON request_events (kind, created_at);
