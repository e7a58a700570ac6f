-- Memories become full-text searchable (a visitor's memories relevant to
-- their question go to the LLM first; members search them).
--
-- The FTS5 index keeps no copy of the text (external content) and points
-- at rows by rowid, so the table is rebuilt with a rowid of its own
-- (`num`): an implicit rowid may change on VACUUM, which would point the
-- index at the wrong memories.
CREATE TABLE visitor_memories_new (
    num         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    visitor_id  TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('visitor', 'member', 'assistant')),
    author_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT,
    created_at  TEXT NOT NULL
);
INSERT INTO visitor_memories_new (id, visitor_id, content, source, author_id, author_name, created_at)
    SELECT id, visitor_id, content, source, author_id, author_name, created_at
    FROM visitor_memories ORDER BY created_at, id;
DROP TABLE visitor_memories;
ALTER TABLE visitor_memories_new RENAME TO visitor_memories;
CREATE INDEX visitor_memories_visitor ON visitor_memories (visitor_id, created_at);

CREATE VIRTUAL TABLE visitor_memories_fts USING fts5 (
    content,
    content = 'visitor_memories',
    content_rowid = 'num',
    tokenize = 'unicode61 remove_diacritics 2'
);
-- A forgotten memory leaves no trace in the index's pages (without this,
-- its words stay there until segments merge): "forget that" and erasure
-- must mean it.
INSERT INTO visitor_memories_fts (visitor_memories_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO visitor_memories_fts (visitor_memories_fts) VALUES ('rebuild');

CREATE TRIGGER visitor_memories_fts_insert AFTER INSERT ON visitor_memories BEGIN
    INSERT INTO visitor_memories_fts (rowid, content) VALUES (new.num, new.content);
END;
CREATE TRIGGER visitor_memories_fts_delete AFTER DELETE ON visitor_memories BEGIN
    INSERT INTO visitor_memories_fts (visitor_memories_fts, rowid, content)
        VALUES ('delete', old.num, old.content);
END;
CREATE TRIGGER visitor_memories_fts_update AFTER UPDATE OF content ON visitor_memories BEGIN
    INSERT INTO visitor_memories_fts (visitor_memories_fts, rowid, content)
        VALUES ('delete', old.num, old.content);
    INSERT INTO visitor_memories_fts (rowid, content) VALUES (new.num, new.content);
END;
