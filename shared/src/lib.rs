//! Data shared by every part of Lantern: the origin server, the edge worker and
//! the widget. Plain serde types and constants only — no I/O, no business
//! logic — so it compiles to wasm32 with its default features.

pub mod accounts;
pub mod api;
pub mod cache;
pub mod conversation_log;
pub mod error;
pub mod event;
pub mod health;
pub mod inbox;
pub mod insights;
pub mod knowledge;
pub mod privacy;
pub mod redact;
pub mod routes;
pub mod visitors;

pub use error::{ErrorBody, ErrorCode};
