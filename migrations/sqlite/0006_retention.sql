-- Retention: when a request was closed (resolved or rejected; cleared when it reopens) and
-- when its personal data was removed. The purge looks for closed requests not yet
-- anonymised, oldest closure first.

ALTER TABLE requests ADD COLUMN closed_at TEXT;
ALTER TABLE requests ADD COLUMN anonymised_at TEXT;

-- Existing closed requests: closed by their last change to resolved or rejected (or, for
-- a request imported without that event, at its last update).
UPDATE requests SET closed_at = coalesce(
    (SELECT max(e.created_at) FROM request_events e
     WHERE e.request_id = requests.id AND e.kind = 'status_changed'
       AND json_extract(e.body, '$.to') IN ('resolved', 'rejected')),
    updated_at)
WHERE status IN ('resolved', 'rejected');

CREATE INDEX requests_to_anonymise ON requests (closed_at)
    WHERE closed_at IS NOT NULL AND anonymised_at IS NULL;

-- The history stays append-only, with one exception: once a request is anonymised, the
-- body of its events may be rewritten (to drop free text); kind, actor, request,
-- visibility and time stay as they were. Deleting stays refused.
DROP TRIGGER request_events_no_update;
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
WHEN NOT (
    NEW.id IS OLD.id AND NEW.request_id IS OLD.request_id AND NEW.kind IS OLD.kind
    AND NEW.actor IS OLD.actor AND NEW.visible_to_citizen IS OLD.visible_to_citizen
    AND NEW.created_at IS OLD.created_at
    AND (SELECT anonymised_at FROM requests WHERE id = OLD.request_id) IS NOT NULL
)
BEGIN SELECT RAISE(ABORT, 'request_events is append-only (only the bodies of an anonymised request''s events may be rewritten)'); END;
