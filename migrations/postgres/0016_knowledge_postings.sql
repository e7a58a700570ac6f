-- A posting per (site, term, passage), for the search (server/src/db/
-- knowledge.rs): the term's occurrences in the passage's heading and body
-- and the passage's length, which is all BM25 needs. The search reads these
-- narrow index rows instead of each candidate passage's tsvector (a TOASTed
-- value, read and decompressed for ts_rank and again to count the terms):
-- on 20,000 passages of manual pages that took the median search to 29 ms.
--
-- Kept by the same statement triggers as the term statistics (0015), so
-- every path that writes passages keeps them right. No foreign key: a
-- passage's postings are found from its own terms (the primary key), which
-- the trigger has in the transition table, so deleting a passage needs no
-- index on passage_id.
CREATE TABLE knowledge_postings (
    site_id    TEXT NOT NULL,
    term       TEXT NOT NULL,
    passage_id BIGINT NOT NULL,
    heading_tf SMALLINT NOT NULL,
    body_tf    SMALLINT NOT NULL,
    tokens     INTEGER NOT NULL,
    PRIMARY KEY (site_id, term, passage_id) INCLUDE (heading_tf, body_tf, tokens)
);

CREATE OR REPLACE FUNCTION knowledge_terms_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT id, site_id, tsv, tokens, 1 AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT id, site_id, tsv, tokens, -1 AS sign FROM old_rows'
        ELSE 'SELECT n.id, n.site_id, n.tsv, n.tokens, 1 AS sign FROM new_rows n JOIN old_rows o USING (id)
               WHERE n.tsv <> o.tsv OR n.site_id <> o.site_id OR n.tokens <> o.tokens
              UNION ALL
              SELECT o.id, o.site_id, o.tsv, o.tokens, -1 FROM old_rows o JOIN new_rows n USING (id)
               WHERE n.tsv <> o.tsv OR n.site_id <> o.site_id OR n.tokens <> o.tokens'
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
    -- Postings: the old ones go first, so an update that keeps a term
    -- re-inserts it.
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format(
            'WITH d AS (%s)
             DELETE FROM knowledge_postings k USING d, unnest(d.tsv) AS u
              WHERE d.sign < 0 AND k.site_id = d.site_id AND k.term = u.lexeme
                AND k.passage_id = d.id', changed);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        EXECUTE format(
            'WITH d AS (%s)
             INSERT INTO knowledge_postings (site_id, term, passage_id, heading_tf, body_tf, tokens)
             SELECT d.site_id, u.lexeme, d.id,
                    cardinality(array_positions(u.weights, ''A'')),
                    cardinality(array_positions(u.weights, ''B'')), d.tokens
               FROM d, unnest(d.tsv) AS u WHERE d.sign > 0
              ORDER BY 1, 2, 3', changed);
    END IF;
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

INSERT INTO knowledge_postings (site_id, term, passage_id, heading_tf, body_tf, tokens)
SELECT p.site_id, u.lexeme, p.id,
       cardinality(array_positions(u.weights, 'A')),
       cardinality(array_positions(u.weights, 'B')), p.tokens
  FROM passages p, unnest(p.tsv) AS u;
