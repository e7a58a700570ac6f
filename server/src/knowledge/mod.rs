//! The knowledge base of each site: documents split into passages, analysed
//! in their language ([`analysis`]) and indexed for full-text search ranked
//! by BM25 (postings on both backends, see `db::knowledge`), fused with an embeddings
//! ranking when one is configured ([`embed`]).
//!
//! [`KnowledgeBase`] is the domain API (validation, splitting, snippets) used
//! by the HTTP handlers, the answer engine, the CLI and the demo seed; its
//! SQL lives in `crate::db::knowledge`.

pub mod analysis;
mod base;
pub mod curated;
pub mod embed;
pub mod followup;
pub mod html;
pub mod extract;
pub mod import;
pub mod fetch;
pub mod query;
pub mod sitemap;
pub mod sources;
mod snippet;
pub mod split;
mod stopwords;
pub mod upkeep;

pub use crate::db::{DocumentRecord, NewDocument, PassageHit};
pub use base::{KnowledgeBase, MAX_DOCUMENT_BYTES, Retrieved, coverage, prepare, to_api};
