-- Statistics at scale: the dashboard's counts and percentiles read two rollups kept in the
-- same transaction as `request_facts`, by difference between a request's old and new facts
-- (store/statistics.rs), and rebuildable from the facts (`guichet statistics rebuild`).
-- Key columns are never NULL: no commune and no élu are '' (a primary key cannot hold NULL).

-- What the rollups are keyed by, besides the facts' own columns: each duration's histogram
-- bucket (domain::statistics::duration_bucket) and the filing's month (its first day, in
-- days since the epoch).
ALTER TABLE request_facts ADD COLUMN first_action_bucket BIGINT;
ALTER TABLE request_facts ADD COLUMN resolution_bucket BIGINT;
ALTER TABLE request_facts ADD COLUMN filed_month BIGINT NOT NULL DEFAULT 0;

-- The counts now come from request_day_counts: the period's scan and the closures' index go.
DROP INDEX request_facts_by_day;
DROP INDEX request_facts_by_closing;
-- The edges of a period that cover part of a month: their histogram buckets, counted from
-- the facts (whole months come from request_duration_counts).
CREATE INDEX request_facts_by_day ON request_facts (filed_day, service, form_id, commune,
    channel, queue, filed_by, first_action_bucket, resolution_bucket);
-- The exact value inside the bucket that holds a percentile's rank: that bucket's requests
-- of the period only.
CREATE INDEX request_facts_first_action ON request_facts (first_action_bucket, filed_day,
    service, form_id, commune, channel, queue, filed_by, first_action_at, filed_at);
CREATE INDEX request_facts_resolution ON request_facts (resolution_bucket, filed_day,
    service, form_id, commune, channel, queue, filed_by, closed_at, filed_at);
-- "Overdue now" for the deadlines that fall today (earlier days are in the rollup).
CREATE INDEX request_facts_due ON request_facts (due_at, status);

-- Requests per UTC day and combination of what the dashboard cuts and groups by. A request
-- counts once on its filing day (`filed` and what is known of it now) and once on the day
-- of its current closure (`closures`). `due_day` is the day its deadline falls while it is
-- received or in progress (it is overdue from the next day on), else -1.
CREATE TABLE request_day_counts (
    day                  BIGINT NOT NULL,
    status               TEXT NOT NULL,
    channel              TEXT NOT NULL,
    service              TEXT NOT NULL,
    form_id              TEXT NOT NULL,
    commune              TEXT NOT NULL,
    queue                TEXT NOT NULL,
    filed_by             TEXT NOT NULL,
    due_day              BIGINT NOT NULL,
    filed                BIGINT NOT NULL,
    closed               BIGINT NOT NULL,
    closed_with_deadline BIGINT NOT NULL,
    within_deadline      BIGINT NOT NULL,
    reopened             BIGINT NOT NULL,
    transferred          BIGINT NOT NULL,
    fallback             BIGINT NOT NULL,
    closures             BIGINT NOT NULL,
    PRIMARY KEY (day, status, channel, service, form_id, commune, queue, filed_by, due_day)
) WITHOUT ROWID;

-- Durations per month of filing, `span` ('first_action' or 'resolution') and histogram
-- bucket, for the same cuts.
CREATE TABLE request_duration_counts (
    span     TEXT NOT NULL,
    month    BIGINT NOT NULL,
    service  TEXT NOT NULL,
    form_id  TEXT NOT NULL,
    commune  TEXT NOT NULL,
    channel  TEXT NOT NULL,
    queue    TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    bucket   BIGINT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (span, month, service, form_id, commune, channel, queue, filed_by, bucket)
) WITHOUT ROWID;

-- The facts gain columns and the first action no longer counts the citizen's answers: every
-- request is folded again from its events when `guichet serve` starts (in the background,
-- requests::facts::rebuild_missing), which fills both rollups as it goes.
DELETE FROM request_facts;
