-- Language-aware retrieval. The FTS5 index now holds terms analysed in Rust
-- (knowledge::analysis: per-language Snowball stems, stop words out, Unicode
-- folding) instead of English-Porter-stemmed raw text, so it is rebuilt:
-- this migration empties it and the server indexes every passage again at
-- start-up (those whose `config` does not name the current analysis).
-- The table is contentless: the passage text lives in `passages`, the
-- index only holds what it needs for matching and BM25.
DROP TRIGGER passages_ai;
DROP TRIGGER passages_ad;
DROP TABLE passages_fts;

ALTER TABLE passages ADD COLUMN config TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE passages_fts USING fts5(
    heading, body,
    content = '', contentless_delete = 1,
    tokenize = 'ascii'
);

CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    DELETE FROM passages_fts WHERE rowid = old.id;
END;

-- How each assistant reply was decided (answered from the knowledge base,
-- not known, curated, small talk) with the retrieval scores behind it, for
-- the owner's insights: {"decision", "confidence", "threshold", "score",
-- "sources"}. NULL for every other message.
ALTER TABLE messages ADD COLUMN retrieval TEXT;

-- The confidence below which the bot says it does not know (0–1); NULL is
-- the server's default.
ALTER TABLE sites ADD COLUMN answer_threshold REAL;

-- Curated answers: a question and the answer an owner wants given to it,
-- matched ahead of retrieval. `terms` is the question analysed in its
-- language (space-separated), so matching needs no analysis of stored rows.
CREATE TABLE curated_answers (
    id         TEXT PRIMARY KEY,                -- UUIDv7
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    language   TEXT NOT NULL,
    terms      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX curated_answers_site ON curated_answers (site_id, id);
