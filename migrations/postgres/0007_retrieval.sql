-- Language-aware retrieval. Passages are indexed with terms analysed in
-- Rust (knowledge::analysis: per-language Snowball stems, stop words out,
-- Unicode folding), the same terms on both backends. `config` now names
-- that analysis and the passage's language ("a1:en"); rows still holding a
-- text search configuration name are indexed again when the server starts.
-- `tokens` is the passage's length in terms, for BM25's length
-- normalisation.
ALTER TABLE passages ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
-- The site's passage count and average length for every search, read from
-- the index alone.
CREATE INDEX passages_site_tokens ON passages (site_id) INCLUDE (tokens);
DROP INDEX passages_site;

-- How each assistant reply was decided (answered from the knowledge base,
-- not known, curated, small talk) with the retrieval scores behind it, for
-- the owner's insights: {"decision", "confidence", "threshold", "score",
-- "sources"}. NULL for every other message.
ALTER TABLE messages ADD COLUMN retrieval JSONB;

-- The confidence below which the bot says it does not know (0–1); NULL is
-- the server's default.
ALTER TABLE sites ADD COLUMN answer_threshold DOUBLE PRECISION;

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
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX curated_answers_site ON curated_answers (site_id, id);
