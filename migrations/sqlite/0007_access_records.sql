-- Who looked: one row each time a staff member or an élu opens a request's personal data
-- (its page, its API read, a spreadsheet export, a subject-access search or export).
-- Keyed by the request's reference, without a foreign key: the record of who looked must
-- outlive the request's anonymisation or erasure. Append-only, except for the purge of
-- records past their keep time (`PersonalDataStore::forget_access_records`).

CREATE TABLE access_records (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    reference  TEXT NOT NULL,   -- GU-XXXX-XXXX
    actor      TEXT NOT NULL,   -- the staff account's e-mail address
    role       TEXT NOT NULL,   -- admin | agent | elu | designer
    view       TEXT NOT NULL,   -- page | piece | api | api_piece | export_csv | subject_search | subject_export
    at         TEXT NOT NULL    -- RFC 3339 UTC
);
CREATE INDEX access_records_by_request ON access_records (reference, at);
CREATE INDEX access_records_by_time ON access_records (at);

CREATE TRIGGER access_records_no_update BEFORE UPDATE ON access_records
BEGIN SELECT RAISE(ABORT, 'access_records is append-only'); END;
