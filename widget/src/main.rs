//! Trunk builds this binary; the real entry point is `lantern_widget::mount`,
//! called by `loader.js` once the visitor opens the chat (or at once when a
//! conversation from an earlier page view is open).

// Re-export so the wasm-bindgen exports are part of the binary Trunk builds.
pub use lantern_widget::{Widget, mount};

fn main() {}
