-- The form builder: drafts kept out of service until published, and who published each
-- version and why (versions edited outside the builder get them from git when known).

CREATE TABLE form_drafts (
    form_id       TEXT NOT NULL,
    author        TEXT NOT NULL,            -- staff e-mail
    service       TEXT NOT NULL,
    definition    TEXT NOT NULL,            -- the definition's JSON as text: JSONB would reorder its keys, and key order is question order
    rule_source   TEXT,
    base_version  TEXT,                     -- the published version the draft started from
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (form_id, author)
);

ALTER TABLE form_versions ADD COLUMN author TEXT;
ALTER TABLE form_versions ADD COLUMN message TEXT;

-- Definitions as text, for the same reason: a version must show its questions in its order.
ALTER TABLE form_versions ALTER COLUMN definition TYPE TEXT USING definition::text;
