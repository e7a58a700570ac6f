//! The widget app. `loader.js` creates the host element and shadow root,
//! then imports `app.js` (this module's JS glue, the panel's styles and the
//! coordination of the visitor's tabs) and calls [`mount`] with the element
//! to render into, the embed's settings as JSON and its hooks (see
//! `hooks.rs`). The returned [`Widget`] is how the loader and `app.js`
//! drive the panel: open and close, `Lantern.identify` and
//! `Lantern.setLanguage`, and the one live stream shared by the tabs.

mod actions;
mod chat;
mod codec;
pub mod config;
mod dom;
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

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;

use crate::chat::Chat;
use crate::config::MountConfig;

/// The mounted widget, held by the loader.
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
    el: web_sys::HtmlElement,
    /// The drawn panel; the conversation lives on in `chat` when it is
    /// drawn again.
    view: RefCell<Option<panel::Drawn>>,
    // Owns the app's signals for as long as the page keeps the widget.
    _owner: Owner,
}

#[wasm_bindgen]
impl Widget {
    /// Shows or hides the panel; the first open starts a conversation.
    pub fn set_open(&self, open: bool) {
        self.chat.set_open(open);
        if let (true, Some(drawn)) = (open, self.view.borrow().as_ref()) {
            drawn.focus();
        }
    }

    /// `Lantern.identify(who)`, given as the JSON of `who`.
    pub fn identify(&self, who: String) {
        if let Some(who) = codec::decode(&who) {
            self.chat.identify(who);
        }
    }

    /// `Lantern.setLanguage(tag)`: the panel is drawn again in the new
    /// language (a reactive redraw of the whole panel would cost every
    /// visitor about 4 KB of wasm; this is one more call of `draw`).
    pub fn set_language(&self, tag: String) {
        self.chat.set_language(tag);
        self.draw();
    }

    /// This tab now holds the site's live events stream.
    pub fn lead(&self) {
        self.chat.lead();
    }

    /// An event of the live stream, relayed by the tab that holds it.
    pub fn event(&self, event: String, data: String) {
        self.chat.apply(&sse::Event {
            id: None,
            event,
            data,
        });
    }

    /// Another tab switched to conversation `id` (stored in
    /// `localStorage`): show it here too.
    pub fn adopt(&self, id: String) {
        self.chat.adopt(id);
    }

    /// For `attach.js`: `[token, upload URL]`, the visitor's token (which
    /// the files need, see `message.rs`) and where the open conversation
    /// takes uploads; empty before there is one. Synchronous: an async
    /// export would cost every visitor its own task glue in the wasm.
    pub fn auth(&self) -> Vec<String> {
        let (token, conv) = chat::session(|s| (s.token.clone(), s.conv.clone()));
        match (token, conv) {
            (Some(t), Some(c)) => vec![
                t,
                self.chat.url(&lantern_shared::routes::fill(
                    lantern_shared::routes::CONVERSATION_ATTACHMENTS,
                    &c,
                )),
            ],
            _ => Vec::new(),
        }
    }

    /// The stream (re)connected in the leading tab, which may have missed
    /// events meanwhile: fetch what is newer than the messages shown.
    pub fn catch_up(&self) {
        self.chat.catch_up();
    }
}

/// Renders the app into `el` (inside the loader's shadow root).
#[wasm_bindgen]
pub fn mount(el: web_sys::HtmlElement, config: String, hooks: JsValue) -> Widget {
    hooks::set(hooks);
    // Effects and `spawn_local` run on the browser's microtask queue.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    let chat = owner.with(|| Chat::new(MountConfig::parse(&config)));
    let widget = Widget {
        chat,
        el,
        view: RefCell::new(None),
        _owner: owner,
    };
    widget.draw();
    // A stored conversation loads at once (history, live events, unread
    // badge); a new one is created only when the visitor opens the panel.
    spawn_local(chat.ensure_ready());
    spawn_local(chat.keep_token_fresh());
    widget
}

impl Widget {
    /// Draws the panel into the loader's element (again: the old one goes).
    fn draw(&self) {
        if let Some(old) = self.view.borrow_mut().take() {
            old.remove();
        }
        let drawn = self._owner.with(|| panel::draw(&self.el, self.chat));
        *self.view.borrow_mut() = Some(drawn);
    }
}
