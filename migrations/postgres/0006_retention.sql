-- Retention: when a request was closed (resolved or rejected; cleared when it reopens) and
-- when its personal data was removed. The purge looks for closed requests not yet
-- anonymised, oldest closure first.

ALTER TABLE requests ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE requests ADD COLUMN anonymised_at TIMESTAMPTZ;

-- Existing closed requests: closed by their last change to resolved or rejected (or, for
-- a request imported without that event, at its last update).
UPDATE requests r SET closed_at = coalesce(
    (SELECT max(e.created_at) FROM request_events e
     WHERE e.request_id = r.id AND e.kind = 'status_changed'
       AND e.body->>'to' IN ('resolved', 'rejected')),
    r.updated_at)
WHERE r.status IN ('resolved', 'rejected');

CREATE INDEX requests_to_anonymise ON requests (closed_at)
    WHERE closed_at IS NOT NULL AND anonymised_at IS NULL;

-- The history stays append-only, with one exception: once a request is anonymised, the
-- body of its events may be rewritten (to drop free text); kind, actor, request,
-- visibility and time stay as they were. Deleting stays refused.
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id AND NEW.request_id = OLD.request_id AND NEW.kind = OLD.kind
       AND NEW.actor = OLD.actor AND NEW.visible_to_citizen = OLD.visible_to_citizen
       AND NEW.created_at = OLD.created_at
       AND EXISTS (SELECT 1 FROM requests WHERE id = OLD.request_id AND anonymised_at IS NOT NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'request_events is append-only (only the bodies of an anonymised request''s events may be rewritten)';
END;
$$;
