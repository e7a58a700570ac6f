//! The widget app. `loader.js` creates the host element and shadow root,
//! then imports this module and calls [`mount`] with the element to render
//! into, the embed's settings as JSON and its hooks (`close`, `unread`,
//! `color`). The returned [`Widget`] is how the loader opens and closes the
//! panel and passes on `Lantern.identify`.

mod actions;
mod chat;
mod codec;
mod composer;
pub mod config;
mod hooks;
mod http;
pub mod i18n;
mod icons;
mod json;
mod live;
mod message;
mod panel;
mod send;
mod session;
pub mod sse;
mod store;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;

use crate::chat::Chat;
use crate::config::MountConfig;

/// The mounted widget, held by the loader.
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
    // Owns the app's signals for as long as the page keeps the widget.
    _owner: Owner,
}

#[wasm_bindgen]
impl Widget {
    /// Shows or hides the panel; the first open starts a conversation.
    pub fn set_open(&self, open: bool) {
        self.chat.set_open(open);
    }

    /// `Lantern.identify({user_id, user_hash})`.
    pub fn identify(&self, user_id: String, user_hash: String) {
        self.chat.identify(user_id, user_hash);
    }
}

/// Renders the app into `el` (inside the loader's shadow root).
#[wasm_bindgen]
pub fn mount(el: web_sys::HtmlElement, config: String, hooks: JsValue) -> Widget {
    hooks::set(hooks);
    let owner = Owner::new();
    let chat = owner.with(|| Chat::new(MountConfig::parse(&config)));
    owner.with(|| {
        leptos::mount::mount_to(el, move || view! { <panel::Panel chat=chat/> }).forget();
    });
    // A stored conversation loads at once (history, live events, unread
    // badge); a new one is created only when the visitor opens the panel.
    spawn_local(chat.ensure_ready());
    Widget {
        chat,
        _owner: owner,
    }
}
