//! Lantern's API crate. It builds two ways:
//!
//! * natively: the full server behind the `lantern` binary (tokio, axum,
//!   sqlx, redis) — see [`startup::launch`];
//! * for `wasm32-unknown-unknown`: the Cloudflare edge worker (`worker`
//!   crate), built by the `[build]` command of the root `wrangler.toml`.
//!
//! What both serve is written once in [`common`] as plain axum handlers; each
//! build mounts it in its own router. Native-only modules are gated by target
//! so the wasm build never compiles tokio, sqlx or redis.

pub mod common;

#[cfg(not(target_arch = "wasm32"))]
pub mod answer;
#[cfg(not(target_arch = "wasm32"))]
pub mod auth;
#[cfg(not(target_arch = "wasm32"))]
pub mod backup;
#[cfg(not(target_arch = "wasm32"))]
pub mod chat;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod db;
#[cfg(not(target_arch = "wasm32"))]
pub mod engine;
#[cfg(not(target_arch = "wasm32"))]
pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod events;
#[cfg(not(target_arch = "wasm32"))]
pub mod http;
#[cfg(not(target_arch = "wasm32"))]
mod kb_cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod knowledge;
#[cfg(not(target_arch = "wasm32"))]
pub mod kvcache;
#[cfg(not(target_arch = "wasm32"))]
pub mod markdown;
#[cfg(not(target_arch = "wasm32"))]
pub mod ratelimit;
#[cfg(not(target_arch = "wasm32"))]
pub mod redis_link;
#[cfg(not(target_arch = "wasm32"))]
pub mod seed;
#[cfg(not(target_arch = "wasm32"))]
pub mod settings;
#[cfg(not(target_arch = "wasm32"))]
pub mod settings_file;
#[cfg(not(target_arch = "wasm32"))]
pub mod startup;
#[cfg(not(target_arch = "wasm32"))]
pub mod stats;
#[cfg(not(target_arch = "wasm32"))]
pub mod store;
#[cfg(not(target_arch = "wasm32"))]
pub mod telemetry;
#[cfg(not(target_arch = "wasm32"))]
pub mod validate;
#[cfg(not(target_arch = "wasm32"))]
pub mod webhooks;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(not(target_arch = "wasm32"))]
pub use axum::Router;

/// Version of this build, reported by health endpoints.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
