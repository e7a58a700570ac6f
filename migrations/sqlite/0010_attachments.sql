-- Files shared in conversations. Each site may switch them off and bound
-- one file's size; the files themselves live in the attachment store
-- (a directory or an S3-compatible bucket), under server-made keys.
--
-- A row whose conversation went (deleted, erased, retention) loses its
-- conversation_id and so is marked for the housekeeping job, which deletes
-- its files and then the row; uploads never attached to a message are
-- marked the same way after a day. Messages keep a copy of their
-- attachments' public fields, so every reader of a message has them.

ALTER TABLE sites ADD COLUMN attachments_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE sites ADD COLUMN attachments_max_bytes BIGINT NOT NULL DEFAULT 10485760;

ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    site_id         TEXT NOT NULL,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    message_id      TEXT REFERENCES messages (id) ON DELETE SET NULL,
    by_staff        BOOLEAN NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    width           INTEGER,
    height          INTEGER,
    object_key      TEXT NOT NULL,
    thumbnail_key   TEXT,
    thumbnail_size  BIGINT,
    created_at      TEXT NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_site ON attachments (site_id);
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;
