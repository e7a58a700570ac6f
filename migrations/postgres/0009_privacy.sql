-- Visitors' data under control: conversations can be pinned and archived;
-- each site may keep closed conversations and inactive visitors' details
-- for a bounded number of days (NULL keeps them); visitors anonymised by
-- that rule are marked; every erasure is recorded for the owner's audit,
-- with who asked and what went, and nothing about the person.

ALTER TABLE conversations ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversations ADD COLUMN archived_at TIMESTAMPTZ;
CREATE INDEX conversations_site_updated ON conversations (site_id, status, updated_at);

ALTER TABLE sites ADD COLUMN retention_closed_days INTEGER;
ALTER TABLE sites ADD COLUMN retention_inactive_days INTEGER;

ALTER TABLE visitors ADD COLUMN anonymised_at TIMESTAMPTZ;

CREATE TABLE erasures (
    id            TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    actor         TEXT NOT NULL,              -- a member's id, 'admin-key' or 'cli'
    conversations INTEGER NOT NULL,
    messages      INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX erasures_site ON erasures (site_id, created_at);
