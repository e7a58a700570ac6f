-- The search's own index, as on Postgres (its migrations 0015 and 0016):
-- a posting per (site, term, passage) with the term's occurrences in the
-- heading and the body and the passage's length, each term's document
-- frequency in the site, and the site's passage count and length. The
-- search ranks by BM25 from these rows (server/src/db/knowledge.rs): the
-- question's rarer terms choose the candidates, the commoner ones are
-- looked up for those only. FTS5 answered an OR of every term by decoding
-- each term's whole list, so a question holding "file" or "use" read most
-- of a knowledge base of manual pages (median 20 ms on 20,000 passages).
--
-- The server writes a passage's postings with the passage (and again when
-- it is indexed anew); these triggers keep the counts, and take the
-- postings away with their passage (a deleted document's cascade too).
CREATE TABLE knowledge_postings (
    site_id    TEXT NOT NULL,
    term       TEXT NOT NULL,
    passage_id INTEGER NOT NULL,
    heading_tf INTEGER NOT NULL,
    body_tf    INTEGER NOT NULL,
    tokens     INTEGER NOT NULL,
    PRIMARY KEY (site_id, term, passage_id)
) WITHOUT ROWID;
CREATE INDEX knowledge_postings_passage ON knowledge_postings (passage_id);

CREATE TABLE knowledge_terms (
    site_id TEXT NOT NULL,
    term    TEXT NOT NULL,
    df      INTEGER NOT NULL,
    PRIMARY KEY (site_id, term)
) WITHOUT ROWID;

CREATE TABLE knowledge_sizes (
    site_id  TEXT PRIMARY KEY,
    passages INTEGER NOT NULL,
    tokens   INTEGER NOT NULL
);

-- The passage's length in terms, for BM25 (as on Postgres since 0007).
ALTER TABLE passages ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER knowledge_postings_ai AFTER INSERT ON knowledge_postings BEGIN
    INSERT INTO knowledge_terms (site_id, term, df) VALUES (new.site_id, new.term, 1)
    ON CONFLICT (site_id, term) DO UPDATE SET df = df + 1;
END;

CREATE TRIGGER knowledge_postings_ad AFTER DELETE ON knowledge_postings BEGIN
    UPDATE knowledge_terms SET df = df - 1 WHERE site_id = old.site_id AND term = old.term;
    DELETE FROM knowledge_terms WHERE site_id = old.site_id AND term = old.term AND df <= 0;
END;

CREATE TRIGGER passages_sizes_ai AFTER INSERT ON passages BEGIN
    INSERT INTO knowledge_sizes (site_id, passages, tokens) VALUES (new.site_id, 1, new.tokens)
    ON CONFLICT (site_id) DO UPDATE SET passages = passages + 1, tokens = tokens + new.tokens;
END;

CREATE TRIGGER passages_sizes_au AFTER UPDATE OF tokens ON passages BEGIN
    UPDATE knowledge_sizes SET tokens = tokens - old.tokens + new.tokens
     WHERE site_id = new.site_id;
END;

CREATE TRIGGER passages_postings_ad AFTER DELETE ON passages BEGIN
    DELETE FROM knowledge_postings WHERE passage_id = old.id;
    UPDATE knowledge_sizes SET passages = passages - 1, tokens = tokens - old.tokens
     WHERE site_id = old.site_id;
    DELETE FROM knowledge_sizes WHERE site_id = old.site_id AND passages <= 0;
END;

-- The FTS5 index is no longer read.
DROP TRIGGER passages_ad;
DROP TABLE passages_fts;

-- Every stored passage gets its postings and length when the server next
-- starts: it indexes again the passages whose `config` does not name the
-- current analysis (knowledge::base), and that now writes postings too.
INSERT INTO knowledge_sizes (site_id, passages, tokens)
SELECT site_id, COUNT(*), 0 FROM passages GROUP BY site_id;
UPDATE passages SET config = '';
