-- The owner's knowledge and insights pages.
--
-- Documents carry their state (`indexing` while a URL import fetches them,
-- `ready`, `failed` with the reason), where they came from (`api`, `upload`,
-- `url`, `paste`, `cli`), the URL source that made them, their size in
-- bytes, a hash of their text (a re-sync re-indexes only changed pages; an
-- upload identical to a stored document is reported, not stored twice), and
-- whether they are searched. A passage can be left out of search by itself.
-- A document is written with its passages in one transaction, so a row in
-- `indexing` or `failed` has none: nothing is ever half-indexed.
ALTER TABLE documents ADD COLUMN state TEXT NOT NULL DEFAULT 'ready'
    CHECK (state IN ('indexing', 'ready', 'failed'));
ALTER TABLE documents ADD COLUMN error TEXT;
ALTER TABLE documents ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE documents ADD COLUMN source_id TEXT;
ALTER TABLE documents ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE documents ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN content_hash TEXT;
UPDATE documents SET size = octet_length(body);
CREATE INDEX documents_source ON documents (source_id);
CREATE INDEX documents_site_hash ON documents (site_id, content_hash);

ALTER TABLE passages ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;

-- Pages and sitemaps the knowledge base is fed from, imported in the
-- background: `queued`, `running` (pages_done of pages_total), `ready`,
-- `failed` (error). A server that stops mid-import marks it failed when it
-- starts again.
CREATE TABLE knowledge_sources (
    id           TEXT PRIMARY KEY,               -- UUIDv7
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('page', 'sitemap')),
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'failed')),
    error        TEXT,
    pages_total  BIGINT NOT NULL DEFAULT 0,
    pages_done   BIGINT NOT NULL DEFAULT 0,
    pages_failed BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    synced_at    TIMESTAMPTZ,
    UNIQUE (site_id, url)
);
CREATE INDEX knowledge_sources_site ON knowledge_sources (site_id, id);

-- When the conversation was last handed to a person: insights count
-- hand-overs and the time to the first human reply from it (the live-event
-- log they were counted from is pruned after days). Earlier hand-overs are
-- read from what that log still holds, else from when the visitor started
-- waiting.
ALTER TABLE conversations ADD COLUMN handed_over_at TIMESTAMPTZ;
UPDATE conversations c SET handed_over_at = COALESCE(
    (SELECT MAX(e.created_at) FROM events e WHERE e.conversation_id = c.id
     AND e.kind = 'conversation.status' AND e.data->>'status' = 'handoff'),
    CASE WHEN c.status = 'handoff' THEN COALESCE(c.waiting_since, c.updated_at) END);
CREATE INDEX conversations_site_handed_over ON conversations (site_id, handed_over_at);
