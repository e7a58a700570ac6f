//! Calls back into the page's JavaScript (`loader.js` and `widget/app.js`),
//! which own the launcher, the other tabs and the host page's listeners:
//! the visitor closed the panel, the unread count changed, the site's colour
//! is known, a message arrived, this tab's live stream relays an event or
//! switched conversation, and markup to insert (through the Trusted Types
//! policy when the host page enforces them).

use std::cell::RefCell;

use lantern_shared::api::Message;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    static HOOKS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

/// Keeps the loader's hooks object.
pub fn set(hooks: JsValue) {
    HOOKS.with(|h| *h.borrow_mut() = hooks);
}

/// Calls hook `name` with `arg`; a missing hook is ignored.
pub fn call(name: &str, arg: JsValue) {
    call2(name, &arg, &JsValue::UNDEFINED);
}

/// Calls hook `name` with two arguments and returns its result
/// (`undefined` when the hook is missing).
pub fn call2(name: &str, a: &JsValue, b: &JsValue) -> JsValue {
    HOOKS.with(|h| {
        let h = h.borrow();
        js_sys::Reflect::get(&h, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call2(&h, a, b).ok())
            .unwrap_or(JsValue::UNDEFINED)
    })
}

/// Markup for `prop:innerHTML`: a `TrustedHTML` from the page's `lantern`
/// Trusted Types policy when the host page enforces them (a plain string
/// would throw there), else the string. Only the server's sanitised
/// message html and the static icons come here.
pub fn trusted(markup: &str) -> JsValue {
    let s = JsValue::from_str(markup);
    let v = call2("html", &s, &JsValue::UNDEFINED);
    if v.is_undefined() { s } else { v }
}

/// Tells the host page's `Lantern.on('message', fn)` listeners.
pub fn message(m: &Message) {
    let o = js_sys::Object::new();
    for (k, v) in [
        ("id", m.id.as_str()),
        ("conversation_id", &m.conversation_id),
        ("role", m.role.as_str()),
        ("content", &m.content),
        ("html", &m.html),
        ("created_at", &m.created_at),
    ] {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
    }
    let _ = js_sys::Reflect::set(&o, &"seq".into(), &(m.seq as f64).into());
    // Its files, with URLs the host page can fetch with the visitor's token.
    let files = js_sys::Array::new();
    for a in &m.attachments {
        let f = js_sys::Object::new();
        let url = crate::chat::config(|c| format!("{}{}", c.api, a.url));
        for (k, v) in [
            ("id", &a.id),
            ("name", &a.name),
            ("type", &a.media_type),
            ("url", &url),
        ] {
            let _ = js_sys::Reflect::set(&f, &k.into(), &v.into());
        }
        let _ = js_sys::Reflect::set(&f, &"size".into(), &(a.size as f64).into());
        files.push(&f);
    }
    let _ = js_sys::Reflect::set(&o, &"attachments".into(), &files);
    call("message", o.into());
}

/// `window[object][field]` as a string (the host page's address and
/// referrer, read here rather than in the loader, whose bytes are counted).
pub fn page(object: &str, field: &str) -> Option<String> {
    let o = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(object)).ok()?;
    js_sys::Reflect::get(&o, &JsValue::from_str(field))
        .ok()?
        .as_string()
}

/// The browser's IANA time zone (the inbox shows the visitor's local time).
pub fn time_zone() -> Option<String> {
    let o = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&o.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()?
        .as_string()
        .filter(|z| z.len() <= 64)
}
