-- The operator inbox: who has a conversation, since when the visitor waits,
-- snoozes, private notes and message authors, per-member read marks, canned
-- responses, the site-wide event log the members' stream resumes from, and
-- what the widget tells about the visitor's page.

ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN waiting_since TEXT;  -- visitor wrote, nobody answered yet
ALTER TABLE conversations ADD COLUMN snoozed_until TEXT;  -- a visitor's message clears it
ALTER TABLE conversations ADD COLUMN page_url TEXT;
ALTER TABLE conversations ADD COLUMN referrer TEXT;
CREATE INDEX conversations_site_assignee ON conversations (site_id, assignee_id);

ALTER TABLE messages ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE;  -- a private note
ALTER TABLE messages ADD COLUMN author_id TEXT;                           -- the member who wrote it
ALTER TABLE messages ADD COLUMN author_name TEXT;

ALTER TABLE visitors ADD COLUMN contact_email TEXT;  -- left in the widget when nobody was online

CREATE TABLE conversation_reads (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_seq   INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    shortcut   TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (site_id, shortcut)
);

-- Ids are global and handed out by the single writer in commit order; a
-- stream resumes with `id > Last-Event-ID` for its site.
CREATE TABLE site_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX site_events_site ON site_events (site_id, id);
