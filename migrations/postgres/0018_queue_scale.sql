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

-- The counts move once per statement, not once per row: a statement that writes many
-- requests (an import, a bulk fix in SQL, the benches' fill) adds each count's total once.
-- Row by row, every row of one statement updated the same counter row again within one
-- transaction, and each update had to walk past all the versions before it: a million-row
-- insert did not finish in half an hour. Each statement's rows are read from its transition
-- tables, summed per key, and added in key order (so that two transactions take the same
-- counter rows in the same order and cannot deadlock on them); keys whose changes cancel
-- out are not written. A statement-level trigger with transition tables cannot name
-- columns, so every UPDATE of requests runs it: with nothing moved it writes nothing.
DROP TRIGGER requests_counted_insert ON requests;
DROP TRIGGER requests_counted_delete ON requests;
DROP TRIGGER requests_counted_update ON requests;
DROP FUNCTION requests_counted();
DROP FUNCTION queue_counts_add(TEXT, TEXT, TEXT, BIGINT);
DROP FUNCTION queue_open_due_days_add(TEXT, TEXT, DATE, BIGINT);

-- Each function reads its statement's rows: counted in (n = 1) or out (n = -1).
CREATE FUNCTION requests_counted_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_counts (queue, service, status, shard, requests)
    SELECT c.queue, c.service, c.status, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, status, due_at, 1 AS n FROM inserted) AS c
    GROUP BY c.queue, c.service, c.status
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.status
    ON CONFLICT (queue, service, status, shard)
    DO UPDATE SET requests = queue_counts.requests + excluded.requests;
    INSERT INTO queue_open_due_days (queue, service, due_day, shard, requests)
    SELECT c.queue, c.service, c.due_day, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, queue_open_due_day(status, due_at) AS due_day, n
          FROM (SELECT queue, service, status, due_at, 1 AS n FROM inserted) AS r) AS c
    WHERE c.due_day IS NOT NULL
    GROUP BY c.queue, c.service, c.due_day
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.due_day
    ON CONFLICT (queue, service, due_day, shard)
    DO UPDATE SET requests = queue_open_due_days.requests + excluded.requests;
    RETURN NULL;
END
$$;

CREATE FUNCTION requests_counted_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_counts (queue, service, status, shard, requests)
    SELECT c.queue, c.service, c.status, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, status, due_at, -1 AS n FROM deleted) AS c
    GROUP BY c.queue, c.service, c.status
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.status
    ON CONFLICT (queue, service, status, shard)
    DO UPDATE SET requests = queue_counts.requests + excluded.requests;
    INSERT INTO queue_open_due_days (queue, service, due_day, shard, requests)
    SELECT c.queue, c.service, c.due_day, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, queue_open_due_day(status, due_at) AS due_day, n
          FROM (SELECT queue, service, status, due_at, -1 AS n FROM deleted) AS r) AS c
    WHERE c.due_day IS NOT NULL
    GROUP BY c.queue, c.service, c.due_day
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.due_day
    ON CONFLICT (queue, service, due_day, shard)
    DO UPDATE SET requests = queue_open_due_days.requests + excluded.requests;
    RETURN NULL;
END
$$;

CREATE FUNCTION requests_counted_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_counts (queue, service, status, shard, requests)
    SELECT c.queue, c.service, c.status, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, status, due_at, -1 AS n FROM before_rows UNION ALL SELECT queue, service, status, due_at, 1 AS n FROM after_rows) AS c
    GROUP BY c.queue, c.service, c.status
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.status
    ON CONFLICT (queue, service, status, shard)
    DO UPDATE SET requests = queue_counts.requests + excluded.requests;
    INSERT INTO queue_open_due_days (queue, service, due_day, shard, requests)
    SELECT c.queue, c.service, c.due_day, queue_counter_shard(), SUM(c.n)
    FROM (SELECT queue, service, queue_open_due_day(status, due_at) AS due_day, n
          FROM (SELECT queue, service, status, due_at, -1 AS n FROM before_rows UNION ALL SELECT queue, service, status, due_at, 1 AS n FROM after_rows) AS r) AS c
    WHERE c.due_day IS NOT NULL
    GROUP BY c.queue, c.service, c.due_day
    HAVING SUM(c.n) <> 0
    ORDER BY c.queue, c.service, c.due_day
    ON CONFLICT (queue, service, due_day, shard)
    DO UPDATE SET requests = queue_open_due_days.requests + excluded.requests;
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_counted_insert AFTER INSERT ON requests
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION requests_counted_in();
CREATE TRIGGER requests_counted_delete AFTER DELETE ON requests
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION requests_counted_out();
CREATE TRIGGER requests_counted_update AFTER UPDATE ON requests
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION requests_counted_moved();
