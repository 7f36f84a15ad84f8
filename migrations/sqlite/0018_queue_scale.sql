-- A commune filter in due-date order seeks: without this index the due index was walked,
-- filtered by commune, until a page matched (2.4 s at 1,000,000 requests in one queue).
-- The oldest and newest orders already seek `requests_queue_commune_by_age`.
CREATE INDEX requests_queue_commune_by_due ON requests (queue, commune, due_key, id);

-- (PostgreSQL also shards its kept queue counts here, so that its concurrent writers do
-- not queue on one counter row; SQLite has one writer at a time, so it has nothing to gain.)
