-- Queues at scale: counts kept as requests change, and keyset pages that seek.

-- How many requests each queue holds per service and status. The queue pages, the staff
-- home page and `GET /api/v1/queues` read these rows instead of counting the queue. The
-- triggers below keep them by difference in the transaction of every insert, update or
-- delete of a request, whatever the code path (filing, actions, transfers, imports).
CREATE TABLE queue_counts (
    queue     TEXT NOT NULL,
    service   TEXT NOT NULL,
    status    TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    PRIMARY KEY (queue, service, status)
) WITHOUT ROWID;

-- Open requests (received, in progress) with a due date, per day the date falls on (UTC,
-- YYYY-MM-DD). Overdue at an instant = the open requests due on earlier days (these rows)
-- plus those due earlier today (a short range of `requests_queue_status_by_due`).
CREATE TABLE queue_open_due_days (
    queue     TEXT NOT NULL,
    service   TEXT NOT NULL,
    due_day   TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    PRIMARY KEY (queue, service, due_day)
) WITHOUT ROWID;

INSERT INTO queue_counts (queue, service, status, requests)
SELECT queue, service, status, COUNT(*) FROM requests GROUP BY queue, service, status;

INSERT INTO queue_open_due_days (queue, service, due_day, requests)
SELECT queue, service, substr(due_at, 1, 10), COUNT(*) FROM requests
WHERE status IN ('received', 'in_progress') AND due_at IS NOT NULL
GROUP BY queue, service, substr(due_at, 1, 10);

CREATE TRIGGER requests_counted_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO queue_counts (queue, service, status, requests)
    VALUES (NEW.queue, NEW.service, NEW.status, 1)
    ON CONFLICT (queue, service, status) DO UPDATE SET requests = requests + 1;
    INSERT INTO queue_open_due_days (queue, service, due_day, requests)
    SELECT NEW.queue, NEW.service, substr(NEW.due_at, 1, 10), 1
    WHERE NEW.status IN ('received', 'in_progress') AND NEW.due_at IS NOT NULL
    ON CONFLICT (queue, service, due_day) DO UPDATE SET requests = requests + 1;
END;

CREATE TRIGGER requests_counted_delete AFTER DELETE ON requests
BEGIN
    UPDATE queue_counts SET requests = requests - 1
    WHERE queue = OLD.queue AND service = OLD.service AND status = OLD.status;
    UPDATE queue_open_due_days SET requests = requests - 1
    WHERE OLD.status IN ('received', 'in_progress') AND OLD.due_at IS NOT NULL
      AND queue = OLD.queue AND service = OLD.service AND due_day = substr(OLD.due_at, 1, 10);
END;

CREATE TRIGGER requests_counted_update AFTER UPDATE OF queue, service, status, due_at ON requests
WHEN NEW.queue IS NOT OLD.queue OR NEW.service IS NOT OLD.service
  OR NEW.status IS NOT OLD.status OR NEW.due_at IS NOT OLD.due_at
BEGIN
    UPDATE queue_counts SET requests = requests - 1
    WHERE queue = OLD.queue AND service = OLD.service AND status = OLD.status;
    INSERT INTO queue_counts (queue, service, status, requests)
    VALUES (NEW.queue, NEW.service, NEW.status, 1)
    ON CONFLICT (queue, service, status) DO UPDATE SET requests = requests + 1;
    UPDATE queue_open_due_days SET requests = requests - 1
    WHERE OLD.status IN ('received', 'in_progress') AND OLD.due_at IS NOT NULL
      AND queue = OLD.queue AND service = OLD.service AND due_day = substr(OLD.due_at, 1, 10);
    INSERT INTO queue_open_due_days (queue, service, due_day, requests)
    SELECT NEW.queue, NEW.service, substr(NEW.due_at, 1, 10), 1
    WHERE NEW.status IN ('received', 'in_progress') AND NEW.due_at IS NOT NULL
    ON CONFLICT (queue, service, due_day) DO UPDATE SET requests = requests + 1;
END;

-- The due-date order's key as a column (virtual: computed on read, stored only in the
-- indexes). SQLite seeks an index with a row value `(due_key, id) > (?, ?)` only on plain
-- columns: on the expression index it replaced, a page deep in the queue walked the index
-- from the queue's start up to its cursor.
ALTER TABLE requests ADD COLUMN due_key TEXT
    GENERATED ALWAYS AS (coalesce(due_at, '9999-12-31T23:59:59.999999Z')) VIRTUAL;
DROP INDEX requests_queue_by_due;
CREATE INDEX requests_queue_by_due ON requests (queue, due_key, id);

-- The counting index goes (the counts are kept above); a status tab in due-date order
-- seeks this one, which also finds today's overdue requests.
DROP INDEX requests_queue_counts;
CREATE INDEX requests_queue_status_by_due ON requests (queue, status, due_key, id);
