-- Passage embeddings for hybrid retrieval (LANTERN_EMBEDDINGS_*): one vector
-- per passage, from the model named beside it. A passage whose vector comes
-- from another model counts as missing, so changing the model re-embeds.
-- The vector is little-endian f32 (`dims` of them); cosine is computed in
-- Rust. A deleted passage (and so a deleted document) takes its vector along.
CREATE TABLE passage_vectors (
    passage_id INTEGER PRIMARY KEY REFERENCES passages (id) ON DELETE CASCADE,
    site_id    TEXT NOT NULL,
    model      TEXT NOT NULL,
    dims       INTEGER NOT NULL,
    vector     BLOB NOT NULL
);
-- Searches load one site's vectors of one model.
CREATE INDEX passage_vectors_site ON passage_vectors (site_id, model, passage_id);
