-- Passage embeddings for hybrid retrieval (LANTERN_EMBEDDINGS_*): one vector
-- per passage, from the model named beside it. A passage whose vector comes
-- from another model counts as missing, so changing the model re-embeds.
-- The vector is little-endian f32 (`dims` of them) in a bytea, the same
-- bytes as on SQLite; cosine is computed in Rust (pgvector is not used: it
-- is not always installed, and exact cosine over one site's passages is
-- cheap). A deleted passage (and so a deleted document) takes its vector.
CREATE TABLE passage_vectors (
    passage_id BIGINT PRIMARY KEY REFERENCES passages (id) ON DELETE CASCADE,
    site_id    TEXT NOT NULL,
    model      TEXT NOT NULL,
    dims       INTEGER NOT NULL,
    vector     BYTEA NOT NULL
);
-- Searches load one site's vectors of one model.
CREATE INDEX passage_vectors_site ON passage_vectors (site_id, model, passage_id);
