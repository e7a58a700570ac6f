-- The visitor panel and the start of visitor profiles (issue 21): what a
-- verified identify or a member tells about the visitor, the browser they
-- use and their time zone (for their local time), when they were last
-- seen, and members' notes on them (memories with source `member`).
-- Also: an owner's choice to let agents see the visitor's draft while they
-- type. (Site events need no change here: the single writer hands out ids
-- in commit order.)

ALTER TABLE visitors ADD COLUMN name TEXT;
ALTER TABLE visitors ADD COLUMN email TEXT;
ALTER TABLE visitors ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE visitors ADD COLUMN user_agent TEXT;   -- at most 512 bytes, as the browser sent it
ALTER TABLE visitors ADD COLUMN time_zone TEXT;    -- IANA name the widget reported
ALTER TABLE visitors ADD COLUMN last_seen_at TEXT;

CREATE TABLE visitor_memories (
    id          TEXT PRIMARY KEY,
    visitor_id  TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('visitor', 'member', 'assistant')),
    author_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX visitor_memories_visitor ON visitor_memories (visitor_id, created_at);

ALTER TABLE sites ADD COLUMN typing_preview BOOLEAN NOT NULL DEFAULT FALSE;
