-- Memories become full-text searchable (a visitor's memories relevant to
-- their question go to the LLM first; members search them). The `simple`
-- configuration: a memory has no language of its own, and queries match
-- stems as prefixes (`'order':*`), which covers inflections in any language.
CREATE INDEX visitor_memories_fts ON visitor_memories
    USING GIN (to_tsvector('simple', content));
