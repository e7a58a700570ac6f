-- The search reads the postings by an index-only scan (0016), which skips
-- the heap only on pages the visibility map marks all-visible. Rows just
-- imported are not, until a vacuum: right after a 20,000-passage import the
-- median search took 9 ms instead of 6 ms after one. By default autovacuum
-- vacuums for inserts once they reach 1,000 rows plus a fifth of the table,
-- so the last fifth of a large import could stay unmarked for long; here a
-- hundredth (about 20 documents of manual pages on that site).
ALTER TABLE knowledge_postings SET (autovacuum_vacuum_insert_scale_factor = 0.01);
