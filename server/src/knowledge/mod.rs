//! The knowledge base of each site: documents split into passages, indexed
//! for full-text search (SQLite FTS5 with BM25, Postgres `tsvector` with the
//! document language's text search configuration).
//!
//! [`KnowledgeBase`] is the domain API (validation, splitting, snippets) used
//! by the HTTP handlers, the answer engine, the CLI and the demo seed; its
//! SQL lives in `crate::db::knowledge`.

mod base;
mod html;
pub mod import;
pub mod query;
mod snippet;
pub mod split;

pub use crate::db::{DocumentRecord, NewDocument, PassageHit};
pub use base::{KnowledgeBase, MAX_DOCUMENT_BYTES, Retrieved};
