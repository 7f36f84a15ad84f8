-- The communes' small sites (docs/commune-sites.md): each page's draft, its published
-- versions, its news items, and the élus who also edit their communes' sites.
-- A page's content (presentation Markdown, mayor, opening hours, contacts, links)
-- is one JSON document (`domain::site::PageContent`), stored whole in every version.

CREATE TABLE commune_page_drafts (
    commune    TEXT PRIMARY KEY,    -- the commune's slug
    content    JSONB NOT NULL,
    author     TEXT NOT NULL,       -- the staff account's e-mail address
    updated_at TIMESTAMPTZ NOT NULL
);

-- Append-only: publishing, and restoring an old version, each add a version.
CREATE TABLE commune_page_versions (
    commune       TEXT NOT NULL,
    number        BIGINT NOT NULL,  -- 1, 2, 3… per commune
    content       JSONB NOT NULL,
    author        TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    restored_from BIGINT,           -- the version this one republished
    PRIMARY KEY (commune, number)
);

CREATE FUNCTION commune_page_versions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'commune_page_versions is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER commune_page_versions_no_change BEFORE UPDATE OR DELETE ON commune_page_versions
    FOR EACH ROW EXECUTE FUNCTION commune_page_versions_append_only();

CREATE TABLE commune_news (
    id         TEXT PRIMARY KEY,    -- UUID
    commune    TEXT NOT NULL,
    news_date  DATE NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,       -- Markdown
    ends_on    DATE,                -- last day shown
    author     TEXT NOT NULL,
    published  BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX commune_news_by_commune ON commune_news (commune, news_date);

-- Élus who also edit the sites of their communes (`guichet user add --redacteur`).
CREATE TABLE site_editors (
    email TEXT PRIMARY KEY          -- the élu's account e-mail, lower-case
);

-- Each commune's picture or coat of arms: public content, a few hundred kilobytes at most,
-- kept here rather than in the attachments folder (whose sweep keeps only what requests
-- reference) so that backups hold it with the pages.
CREATE TABLE commune_pictures (
    commune     TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,      -- image/png | image/jpeg, sniffed from the content
    bytes       BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
