-- Knowledge base: documents, the passages they are split into, and a
-- tsvector per passage (GIN-indexed) built with the text search
-- configuration of the document's language ('simple' when there is none).

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,             -- UUIDv7: time-ordered, used as cursor
    site_id       TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    url           TEXT,                         -- a document with the same url replaces this one
    language      TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('markdown', 'text', 'html')),
    body          TEXT NOT NULL,
    passage_count BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, url)
);
CREATE INDEX documents_site ON documents (site_id, id);

CREATE TABLE passages (
    id          BIGSERIAL PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    site_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    heading     TEXT NOT NULL,                  -- heading path, e.g. "Install › Requirements"
    body        TEXT NOT NULL,
    config      TEXT NOT NULL,                  -- regconfig the tsvector was built with
    tsv         TSVECTOR NOT NULL
);
CREATE INDEX passages_document ON passages (document_id);
CREATE INDEX passages_tsv ON passages USING GIN (tsv);
CREATE INDEX passages_site ON passages (site_id);
