//! The handful of DOM operations the panel is drawn with. The panel is
//! markup (every value escaped) inserted through the page's Trusted Types
//! policy, one delegated listener per event kind, and reactive effects that
//! change only the nodes whose state changed. Leptos's view layer did the
//! same job at about a third of the widget's wasm; this is a few hundred
//! bytes (figures in `scripts/widget-weight.sh`'s history, issue 22).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event};

use crate::hooks;

#[wasm_bindgen]
extern "C" {
    /// An element, seen only for `insertAdjacentHTML` taking the
    /// `TrustedHTML` that [`hooks::trusted`] returns: web-sys's binding
    /// takes only a string, which a page enforcing Trusted Types refuses.
    type Adjacent;
    #[wasm_bindgen(method, js_name = insertAdjacentHTML)]
    fn insert_adjacent(this: &Adjacent, position: &str, html: &JsValue);
}

/// Inserts `markup` at `position` (`beforebegin`, `beforeend`, …) of `el`.
pub fn insert(el: &Element, position: &str, markup: &str) {
    el.unchecked_ref::<Adjacent>()
        .insert_adjacent(position, &hooks::trusted(markup));
}

/// Replaces what `el` holds with `markup`.
pub fn set_html(el: &Element, markup: &str) {
    let _ = js_sys::Reflect::set(el, &"innerHTML".into(), &hooks::trusted(markup));
}

/// `s` made safe for HTML text and double-quoted attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('>', "&gt;")
}

/// A listener kept alive for as long as the returned closure is held.
pub type Listener = Closure<dyn FnMut(Event)>;

/// Listens to `event` on `el`.
pub fn on(el: &Element, event: &str, f: impl FnMut(Event) + 'static) -> Listener {
    let c = Listener::new(f);
    let _ = el.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
    c
}

/// The element an event happened on (inside the shadow root).
pub fn target(ev: &Event) -> Option<Element> {
    ev.target()?.dyn_into().ok()
}

/// Runs `f` before the next repaint (after the browser laid out what the
/// effects changed).
pub fn frame(f: impl FnOnce() + 'static) {
    if let Some(w) = web_sys::window() {
        let _ = w.request_animation_frame(Closure::once_into_js(f).unchecked_ref());
    }
}
