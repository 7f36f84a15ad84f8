-- Statistics: one row per request, folded from its events (domain/statistics.rs) in the
-- transaction that appends them, and rebuilt from the events for requests that have none
-- (filed before this migration, or imported). Instants are whole seconds since the Unix
-- epoch, in both databases, so that the dashboard's SQL is the same text on both.

CREATE TABLE request_facts (
    request_id      UUID PRIMARY KEY REFERENCES requests (id),
    form_id         TEXT NOT NULL,
    commune         TEXT,
    channel         TEXT NOT NULL,
    filed_by        TEXT,
    service         TEXT NOT NULL,
    queue           TEXT NOT NULL,
    status          TEXT NOT NULL,
    filed_at        BIGINT NOT NULL,
    first_action_at BIGINT,
    closed_at       BIGINT,                 -- the current closure; NULL while open
    due_at          BIGINT,                 -- the running deadline
    paused_seconds  BIGINT NOT NULL,
    within_deadline INTEGER,                -- 1 or 0 once closed with a deadline, else NULL
    reopened        INTEGER NOT NULL,
    transferred     INTEGER NOT NULL,
    fallback        INTEGER NOT NULL,       -- 1 when the rule's fallback routed it
    filed_day       BIGINT NOT NULL,        -- filed_at's UTC day (days since the epoch)
    closed_day      BIGINT                  -- closed_at's
);
-- A period's requests in the order the dashboard groups them (day, status, channel, service,
-- form, commune), with every column its figures read: one pass over the index, no sort, no
-- table lookup.
CREATE INDEX request_facts_by_day ON request_facts (filed_day, status, channel, service, form_id,
    commune, queue, filed_by, first_action_at, closed_at, due_at, within_deadline, reopened,
    transferred, fallback);
-- The backlog: closures by day.
CREATE INDEX request_facts_by_closing ON request_facts (closed_day, service, queue, form_id,
    commune, channel, filed_by);
