-- Term statistics per site, kept by the database itself, for the search
-- (server/src/db/knowledge.rs). With each term's document frequency known
-- before the search, candidates are the passages holding the question's
-- rarer terms only, and BM25 weighs every term by its true frequency in the
-- site; before, a question holding "name" or "file" ranked a third of a
-- knowledge base of manual pages to find its candidates.
--
-- `knowledge_terms`: how many of the site's passages hold each term.
-- `knowledge_sizes`: the site's passage count and their summed length in
-- terms (BM25's average length), one row instead of reading every passage.
-- Both are kept by statement triggers on `passages` with transition tables,
-- so every path that writes passages (import, replace, delete, a site's
-- cascade, reindexing) keeps them right, and one statement inserting a
-- document's passages updates each term once. Writers of one site's
-- passages take turns (an advisory lock held to commit), so concurrent
-- imports wait for each other but never deadlock.
-- Rows whose count reaches zero are removed with their passages, so a
-- deleted site leaves nothing behind.
CREATE TABLE knowledge_terms (
    site_id TEXT NOT NULL,
    term    TEXT NOT NULL,
    df      INTEGER NOT NULL,
    PRIMARY KEY (site_id, term)
);

CREATE TABLE knowledge_sizes (
    site_id  TEXT PRIMARY KEY,
    passages BIGINT NOT NULL,
    tokens   BIGINT NOT NULL
);

-- The passages a statement added (+1) or removed (-1), as (site_id, tsv,
-- tokens, sign): an update counts only if it changed the index (enabling a
-- passage does not).
CREATE FUNCTION knowledge_terms_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT site_id, tsv, tokens, 1 AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT site_id, tsv, tokens, -1 AS sign FROM old_rows'
        ELSE 'SELECT n.site_id, n.tsv, n.tokens, 1 AS sign FROM new_rows n JOIN old_rows o USING (id)
               WHERE n.tsv <> o.tsv OR n.site_id <> o.site_id
              UNION ALL
              SELECT o.site_id, o.tsv, o.tokens, -1 FROM old_rows o JOIN new_rows n USING (id)
               WHERE n.tsv <> o.tsv OR n.site_id <> o.site_id'
    END;
BEGIN
    -- One writer of a site's statistics at a time, until it commits. A
    -- replacement takes away old terms and adds new ones in two statements,
    -- each in sorted order but the two together not: without this, two
    -- replacements side by side deadlock on their common terms.
    EXECUTE format(
        'WITH d AS (%s)
         SELECT pg_advisory_xact_lock(hashtext(''lantern:knowledge''), hashtext(site_id))
           FROM (SELECT DISTINCT site_id FROM d ORDER BY site_id) AS s', changed);
    EXECUTE format(
        'WITH d AS (%s)
         INSERT INTO knowledge_terms (site_id, term, df)
         SELECT d.site_id, u.lexeme, SUM(d.sign) FROM d, unnest(d.tsv) AS u
          GROUP BY 1, 2 HAVING SUM(d.sign) <> 0 ORDER BY 1, 2
         ON CONFLICT (site_id, term) DO UPDATE SET df = knowledge_terms.df + EXCLUDED.df', changed);
    EXECUTE format(
        'WITH d AS (%s)
         INSERT INTO knowledge_sizes (site_id, passages, tokens)
         SELECT site_id, SUM(sign), SUM(sign * tokens) FROM d GROUP BY 1 ORDER BY 1
         ON CONFLICT (site_id) DO UPDATE SET passages = knowledge_sizes.passages + EXCLUDED.passages,
             tokens = knowledge_sizes.tokens + EXCLUDED.tokens', changed);
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format(
            'WITH d AS (%s)
             DELETE FROM knowledge_terms t USING d, unnest(d.tsv) AS u
              WHERE d.sign < 0 AND t.site_id = d.site_id AND t.term = u.lexeme AND t.df <= 0', changed);
        -- Only this statement's sites: another site's row is another
        -- writer's, under its own lock.
        EXECUTE format(
            'WITH d AS (%s)
             DELETE FROM knowledge_sizes s USING (SELECT DISTINCT site_id FROM d) AS x
              WHERE s.site_id = x.site_id AND s.passages <= 0', changed);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER passages_terms_insert AFTER INSERT ON passages
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION knowledge_terms_count();
CREATE TRIGGER passages_terms_delete AFTER DELETE ON passages
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION knowledge_terms_count();
CREATE TRIGGER passages_terms_update AFTER UPDATE ON passages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION knowledge_terms_count();

INSERT INTO knowledge_terms (site_id, term, df)
SELECT p.site_id, u.lexeme, COUNT(*) FROM passages p, unnest(p.tsv) AS u GROUP BY 1, 2;
INSERT INTO knowledge_sizes (site_id, passages, tokens)
SELECT site_id, COUNT(*), SUM(tokens) FROM passages GROUP BY site_id;
