-- Cache invalidations made by a process that does not serve (the `lantern`
-- CLI: `visitor erase`, `user create` …). Running servers cache tokens,
-- sites and memberships (server/src/db/cached.rs) and hear of their own
-- and each other's changes in memory and through Redis, but a CLI run has
-- neither channel: it writes here, and every server reads new rows a few
-- times a second. Writers keep only the newest rows.
CREATE TABLE cache_announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scopes TEXT NOT NULL
);
