-- Queues at scale: counts kept as requests change, and a status tab in due-date order that
-- seeks.

-- How many requests each queue holds per service and status. The queue pages, the staff
-- home page and `GET /api/v1/queues` read these rows instead of counting the queue. The
-- triggers below keep them by difference in the transaction of every insert, update or
-- delete of a request, whatever the code path (filing, actions, transfers, imports).
CREATE TABLE queue_counts (
    queue     TEXT NOT NULL,
    service   TEXT NOT NULL,
    status    TEXT NOT NULL,
    requests  BIGINT NOT NULL,
    PRIMARY KEY (queue, service, status)
);

-- Open requests (received, in progress) with a due date, per day the date falls on (UTC).
-- Overdue at an instant = the open requests due on earlier days (these rows) plus those due
-- earlier today (a short range of `requests_queue_status_by_due`).
CREATE TABLE queue_open_due_days (
    queue     TEXT NOT NULL,
    service   TEXT NOT NULL,
    due_day   DATE NOT NULL,
    requests  BIGINT NOT NULL,
    PRIMARY KEY (queue, service, due_day)
);

INSERT INTO queue_counts (queue, service, status, requests)
SELECT queue, service, status, COUNT(*) FROM requests GROUP BY queue, service, status;

INSERT INTO queue_open_due_days (queue, service, due_day, requests)
SELECT queue, service, (due_at AT TIME ZONE 'UTC')::date, COUNT(*) FROM requests
WHERE status IN ('received', 'in_progress') AND due_at IS NOT NULL
GROUP BY queue, service, (due_at AT TIME ZONE 'UTC')::date;

CREATE FUNCTION queue_counts_add(q TEXT, s TEXT, st TEXT, n BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_counts (queue, service, status, requests) VALUES (q, s, st, n)
    ON CONFLICT (queue, service, status)
    DO UPDATE SET requests = queue_counts.requests + excluded.requests
$$;

CREATE FUNCTION queue_open_due_days_add(q TEXT, s TEXT, d DATE, n BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_open_due_days (queue, service, due_day, requests) VALUES (q, s, d, n)
    ON CONFLICT (queue, service, due_day)
    DO UPDATE SET requests = queue_open_due_days.requests + excluded.requests
$$;

-- The day an open request is due on; NULL when it is closed, waiting or has no due date.
CREATE FUNCTION queue_open_due_day(st TEXT, due TIMESTAMPTZ) RETURNS DATE
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN st IN ('received', 'in_progress') THEN (due AT TIME ZONE 'UTC')::date END
$$;

-- A row's counts move by difference. An update takes the two rows of each table in key
-- order, so that two transactions moving requests in opposite directions (a transfer
-- there and one back, a status and its reverse) cannot deadlock on them.
CREATE FUNCTION requests_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_day DATE;
    new_day DATE;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM queue_counts_add(NEW.queue, NEW.service, NEW.status, 1);
        new_day := queue_open_due_day(NEW.status, NEW.due_at);
        IF new_day IS NOT NULL THEN
            PERFORM queue_open_due_days_add(NEW.queue, NEW.service, new_day, 1);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM queue_counts_add(OLD.queue, OLD.service, OLD.status, -1);
        old_day := queue_open_due_day(OLD.status, OLD.due_at);
        IF old_day IS NOT NULL THEN
            PERFORM queue_open_due_days_add(OLD.queue, OLD.service, old_day, -1);
        END IF;
    ELSE
        IF (OLD.queue, OLD.service, OLD.status) < (NEW.queue, NEW.service, NEW.status) THEN
            PERFORM queue_counts_add(OLD.queue, OLD.service, OLD.status, -1);
            PERFORM queue_counts_add(NEW.queue, NEW.service, NEW.status, 1);
        ELSIF (OLD.queue, OLD.service, OLD.status) > (NEW.queue, NEW.service, NEW.status) THEN
            PERFORM queue_counts_add(NEW.queue, NEW.service, NEW.status, 1);
            PERFORM queue_counts_add(OLD.queue, OLD.service, OLD.status, -1);
        END IF;
        old_day := queue_open_due_day(OLD.status, OLD.due_at);
        new_day := queue_open_due_day(NEW.status, NEW.due_at);
        IF old_day IS NOT NULL AND new_day IS NOT NULL
           AND (NEW.queue, NEW.service, new_day) < (OLD.queue, OLD.service, old_day) THEN
            PERFORM queue_open_due_days_add(NEW.queue, NEW.service, new_day, 1);
            PERFORM queue_open_due_days_add(OLD.queue, OLD.service, old_day, -1);
        ELSIF (OLD.queue, OLD.service, old_day) IS DISTINCT FROM (NEW.queue, NEW.service, new_day) THEN
            IF old_day IS NOT NULL THEN
                PERFORM queue_open_due_days_add(OLD.queue, OLD.service, old_day, -1);
            END IF;
            IF new_day IS NOT NULL THEN
                PERFORM queue_open_due_days_add(NEW.queue, NEW.service, new_day, 1);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_counted_insert AFTER INSERT ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_counted();
CREATE TRIGGER requests_counted_delete AFTER DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_counted();
CREATE TRIGGER requests_counted_update AFTER UPDATE OF queue, service, status, due_at ON requests
    FOR EACH ROW
    WHEN (OLD.queue IS DISTINCT FROM NEW.queue OR OLD.service IS DISTINCT FROM NEW.service
       OR OLD.status IS DISTINCT FROM NEW.status OR OLD.due_at IS DISTINCT FROM NEW.due_at)
    EXECUTE FUNCTION requests_counted();

-- The counting index goes (the counts are kept above); a status tab in due-date order
-- seeks this one, which also finds today's overdue requests.
DROP INDEX requests_queue_counts;
CREATE INDEX requests_queue_status_by_due
    ON requests (queue, status, (coalesce(due_at, 'infinity'::timestamptz)), id);
