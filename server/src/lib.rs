//! Lantern's API crate. It builds two ways:
//!
//! * natively: the full server behind the `lantern` binary (tokio, axum,
//!   sqlx, redis) — see `startup::launch`;
//! * for `wasm32-unknown-unknown`: the Cloudflare edge worker (`worker`
//!   crate), built by the `[build]` command of the root `wrangler.toml`.
//!
//! What both serve is written once in [`common`] as plain axum handlers; each
//! build mounts it in its own router. Native-only modules are gated by target
//! so the wasm build never compiles tokio, sqlx or redis.

pub mod common;

/// Declares modules that exist only in the native build.
macro_rules! native {
    ($($vis:vis mod $name:ident;)*) => {
        $(#[cfg(not(target_arch = "wasm32"))] $vis mod $name;)*
    };
}

native! {
    pub mod accounts;
    pub mod attachments;
    pub mod answer;
    pub mod auth;
    pub mod backup;
    pub mod cache;
    pub mod chat;
    pub mod cli;
    pub mod db;
    pub mod engine;
    pub mod error;
    pub mod events;
    pub mod http;
    pub mod inbox;
    mod kb_cli;
    pub mod knowledge;
    pub mod listen;
    pub mod kvcache;
    pub mod markdown;
    pub mod privacy;
    pub mod prune;
    pub mod sealing;
    pub mod ratelimit;
    pub mod redis_link;
    pub mod seed;
    pub mod settings;
    pub mod settings_file;
    pub mod sse;
    pub mod startup;
    pub mod stats;
    pub mod telemetry;
    pub mod urlguard;
    pub mod useragent;
    pub mod validate;
    pub mod watcher;
    pub mod webhooks;
}

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(not(target_arch = "wasm32"))]
pub use axum::Router;

/// Version of this build, reported by health endpoints.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
