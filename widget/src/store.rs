//! Per-site persistence in `localStorage` (keys shared with `loader.js`):
//! the visitor token, the open conversation and the panel's open state.
//! Storage may be disabled (private modes, policies): then nothing persists
//! and the widget still works for this page view.

/// Names of the stored values; the full key is `lantern:{site}:{name}`.
pub const TOKEN: &str = "token";
pub const TOKEN_EXPIRES: &str = "token_expires";
pub const USER: &str = "user";
pub const CONVERSATION: &str = "conv";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn key(site: &str, name: &str) -> String {
    format!("lantern:{site}:{name}")
}

pub fn get(site: &str, name: &str) -> Option<String> {
    storage()?.get_item(&key(site, name)).ok()?
}

pub fn set(site: &str, name: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key(site, name), value);
    }
}

pub fn remove(site: &str, name: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(site, name));
    }
}
