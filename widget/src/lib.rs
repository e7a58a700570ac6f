//! The widget app. `loader.js` creates the host element and shadow root, then
//! imports this module and calls [`mount`] with the element to render into.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// The panel shown inside the shadow root.
#[component]
pub fn App(site: String) -> impl IntoView {
    view! {
        <section class="lantern-panel" role="dialog" aria-label="Chat" data-lantern-app=site>
            <header class="lantern-header">"Lantern"</header>
            <p class="lantern-welcome">"Hi! How can I help?"</p>
        </section>
    }
}

/// Renders the app into `el` (inside the loader's shadow root).
#[wasm_bindgen]
pub fn mount(el: web_sys::HtmlElement, site: String) {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to(el, move || view! { <App site=site.clone()/> }).forget();
}
