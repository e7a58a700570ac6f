-- Knowledge base: documents, the passages they are split into, and an FTS5
-- index over the passages (BM25 ranking). The index is an external-content
-- table kept in step by triggers, so passage text is stored once.

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,             -- UUIDv7: time-ordered, used as cursor
    site_id       TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    url           TEXT,                         -- a document with the same url replaces this one
    language      TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('markdown', 'text', 'html')),
    body          TEXT NOT NULL,
    passage_count INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (site_id, url)
);
CREATE INDEX documents_site ON documents (site_id, id);

CREATE TABLE passages (
    id          INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    site_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    heading     TEXT NOT NULL,                  -- heading path, e.g. "Install › Requirements"
    body        TEXT NOT NULL
);
CREATE INDEX passages_document ON passages (document_id);

-- porter over unicode61: English stemming, diacritics folded for every
-- language (other languages are matched on their unstemmed words).
CREATE VIRTUAL TABLE passages_fts USING fts5(
    heading, body,
    content = 'passages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, heading, body) VALUES (new.id, new.heading, new.body);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, heading, body)
    VALUES ('delete', old.id, old.heading, old.body);
END;
