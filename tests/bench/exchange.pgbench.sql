-- The raw SQL of one Lantern exchange, for pgbench (the floor the server is
-- measured against; see tests/bench/messages.rs, which runs it):
--   lock the visitor's conversation row (handing out two message seqs and
--   two event ids), insert the visitor's message, full-text search the
--   knowledge passages, insert the reply and its events, commit.
-- The search ranks (ts_rank_cd, length-normalised) the passages holding
-- every English term of the question, and only when there are none the
-- passages holding any term: ranking every passage that holds any term
-- touches a sixth of this knowledge base per question (~3,600 of 20,000
-- passages) and would make the floor the search, not the exchange.
-- Tables: the server's own (migrations/postgres), plus two the benchmark
-- loads first: bench_questions(id, q, tsa, tso) with the real questions and
-- their all-terms / any-term tsqueries, and bench_convs(n, id) with one
-- conversation per pgbench client. Run with -M prepared -D nq=<questions>.
\set qid random(1, :nq)
\set cn :client_id + 1
BEGIN;
UPDATE conversations c
   SET last_seq = c.last_seq + 2, last_event_id = c.last_event_id + 2, updated_at = now()
  FROM bench_convs b
 WHERE b.n = :cn AND c.id = b.id
RETURNING c.id AS conv, c.site_id AS site, c.last_seq AS seq, c.last_event_id AS ev \gset
INSERT INTO messages (id, conversation_id, seq, role, content, html, citations, created_at)
SELECT gen_random_uuid()::text, :conv, :seq - 1, 'user', q, '<p>' || q || '</p>', '[]', now()
  FROM bench_questions WHERE id = :qid;
WITH q AS (SELECT tsa, tso FROM bench_questions WHERE id = :qid),
  every_term AS (
    SELECT ps.id, ts_rank_cd(ps.tsv, q.tsa, 32) AS r
      FROM passages ps, q
     WHERE ps.site_id = :site AND ps.tsv @@ q.tsa
     ORDER BY r DESC LIMIT 5),
  any_term AS (
    SELECT ps.id, ts_rank_cd(ps.tsv, q.tso, 32) AS r
      FROM passages ps, q
     WHERE NOT EXISTS (SELECT 1 FROM every_term) AND ps.site_id = :site AND ps.tsv @@ q.tso
     ORDER BY r DESC LIMIT 5),
  top AS (SELECT * FROM every_term UNION ALL SELECT * FROM any_term)
SELECT coalesce((array_agg(p.body ORDER BY top.r DESC))[1], '') AS best,
       coalesce(json_agg(json_build_object('title', d.title, 'url', d.url) ORDER BY top.r DESC), '[]') AS cites
  FROM top
  JOIN passages p ON p.id = top.id
  JOIN documents d ON d.id = p.document_id \gset
INSERT INTO messages (id, conversation_id, seq, role, content, html, citations, created_at)
VALUES (gen_random_uuid()::text, :conv, :seq, 'assistant', left(:best, 600), '<p>' || left(:best, 600) || '</p>', :cites, now());
INSERT INTO events (conversation_id, id, kind, data, created_at)
VALUES (:conv, :ev - 1, 'message.created', '{}', now()), (:conv, :ev, 'message.created', '{}', now());
END;
