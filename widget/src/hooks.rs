//! Calls back into `loader.js`, which owns the launcher: the visitor closed
//! the panel, the unread count changed, the site's colour is known.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    static HOOKS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

/// Keeps the loader's hooks object (`{close, unread, color}`).
pub fn set(hooks: JsValue) {
    HOOKS.with(|h| *h.borrow_mut() = hooks);
}

/// Calls hook `name` with `arg`; a missing hook is ignored.
pub fn call(name: &str, arg: JsValue) {
    HOOKS.with(|h| {
        let h = h.borrow();
        if let Ok(f) = js_sys::Reflect::get(&h, &JsValue::from_str(name))
            && let Ok(f) = f.dyn_into::<js_sys::Function>()
        {
            let _ = f.call1(&h, &arg);
        }
    });
}
