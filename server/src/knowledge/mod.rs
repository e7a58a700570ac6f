//! The knowledge base of each site: documents split into passages, indexed
//! for full-text search (SQLite FTS5 with BM25, Postgres `tsvector` with the
//! document language's text search configuration).
//!
//! [`KnowledgeBase`] is the domain API (validation, splitting, snippets) used
//! by the HTTP handlers, the answer engine, the CLI and the demo seed; the
//! storage is behind [`KnowledgeStore`].

mod base;
mod html;
pub mod import;
mod postgres;
pub mod query;
mod snippet;
pub mod split;
mod sqlite;
mod store;

pub use base::{KnowledgeBase, MAX_DOCUMENT_BYTES, Retrieved};
pub use postgres::PgKnowledge;
pub use sqlite::SqliteKnowledge;
pub use store::{DocumentRecord, KnowledgeStore, NewDocument, PassageHit};

use std::sync::Arc;

/// The knowledge store sharing `pool` with the conversation store.
pub fn open(pool: &crate::db::Pool) -> Arc<dyn KnowledgeStore> {
    match pool {
        crate::db::Pool::Sqlite(p) => Arc::new(SqliteKnowledge::new(p.clone())),
        crate::db::Pool::Postgres(p) => Arc::new(PgKnowledge::new(p.clone())),
    }
}
