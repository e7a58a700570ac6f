-- The visitor panel and the start of visitor profiles (issue 21): what a
-- verified identify or a member tells about the visitor, the browser they
-- use and their time zone (for their local time), when they were last
-- seen, and members' notes on them (memories with source `member`).
-- Also: an owner's choice to let agents see the visitor's draft while they
-- type, and per-site ordering of site events (see below).

ALTER TABLE visitors ADD COLUMN name TEXT;
ALTER TABLE visitors ADD COLUMN email TEXT;
ALTER TABLE visitors ADD COLUMN attributes JSONB NOT NULL DEFAULT '{}';
ALTER TABLE visitors ADD COLUMN user_agent TEXT;   -- at most 512 bytes, as the browser sent it
ALTER TABLE visitors ADD COLUMN time_zone TEXT;    -- IANA name the widget reported
ALTER TABLE visitors ADD COLUMN last_seen_at TIMESTAMPTZ;

CREATE TABLE visitor_memories (
    id          TEXT PRIMARY KEY,
    visitor_id  TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('visitor', 'member', 'assistant')),
    author_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX visitor_memories_visitor ON visitor_memories (visitor_id, created_at);

ALTER TABLE sites ADD COLUMN typing_preview BOOLEAN NOT NULL DEFAULT FALSE;

-- Site stream resume: ids come from one global sequence, and two
-- transactions could commit out of id order, so a resume landing between
-- them would skip the lower id for ever. Each insert now takes a per-site
-- transaction lock before drawing its id: within a site, ids are drawn in
-- commit order, and `id > Last-Event-ID` misses nothing. (Sites only wait
-- on their own writers; the lock is held from the insert to the commit.)
CREATE FUNCTION site_events_in_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('lantern.site_events'), hashtext(NEW.site_id));
    NEW.id := nextval(pg_get_serial_sequence('site_events', 'id'));
    RETURN NEW;
END
$$;
CREATE TRIGGER site_events_in_order BEFORE INSERT ON site_events
    FOR EACH ROW EXECUTE FUNCTION site_events_in_order();
