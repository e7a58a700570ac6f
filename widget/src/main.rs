//! Trunk builds this binary; the real entry point is `lantern_widget::mount`,
//! called by `loader.js` once the visitor opens the chat.

// Re-export so the wasm-bindgen export is part of the binary Trunk builds.
pub use lantern_widget::mount;

fn main() {}
