-- A commune filter in due-date order seeks: without this index the due index was walked,
-- filtered by commune, until a page matched (2.4 s at 1,000,000 requests in one queue).
-- The oldest and newest orders already seek `requests_queue_commune_by_age`.
CREATE INDEX requests_queue_commune_by_due
    ON requests (queue, commune, (coalesce(due_at, 'infinity'::timestamptz)), id);

-- Kept queue counts, sharded. Every filing into a queue added to the same counter row, and
-- held that row's lock until its transaction committed: concurrent transactions (the group
-- committers, each on a connection of its own) queued behind one another, one commit at a
-- time, and two moving requests between two queues in opposite orders could deadlock.
-- Now each connection adds to its own shard of a count (`guichet.counter_shard`, which the
-- application sets on each connection it opens, numbering them; 0 for any other session),
-- and readers add the shards up (they already summed rows). A shard's count alone may be
-- negative (a request counted into shard 1 and moved out from shard 2); their sum is exact.
ALTER TABLE queue_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE queue_counts DROP CONSTRAINT queue_counts_pkey;
ALTER TABLE queue_counts ADD PRIMARY KEY (queue, service, status, shard);
ALTER TABLE queue_open_due_days ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE queue_open_due_days DROP CONSTRAINT queue_open_due_days_pkey;
ALTER TABLE queue_open_due_days ADD PRIMARY KEY (queue, service, due_day, shard);

-- This session's shard: what the application set, else 0 (psql, a migration, a script).
CREATE FUNCTION queue_counter_shard() RETURNS SMALLINT
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('guichet.counter_shard', true), ''), '0')::smallint
$$;

CREATE OR REPLACE FUNCTION queue_counts_add(q TEXT, s TEXT, st TEXT, n BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_counts (queue, service, status, shard, requests)
    VALUES (q, s, st, queue_counter_shard(), n)
    ON CONFLICT (queue, service, status, shard)
    DO UPDATE SET requests = queue_counts.requests + excluded.requests
$$;

CREATE OR REPLACE FUNCTION queue_open_due_days_add(q TEXT, s TEXT, d DATE, n BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_open_due_days (queue, service, due_day, shard, requests)
    VALUES (q, s, d, queue_counter_shard(), n)
    ON CONFLICT (queue, service, due_day, shard)
    DO UPDATE SET requests = queue_open_due_days.requests + excluded.requests
$$;
