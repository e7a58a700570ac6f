//! Small pieces every page uses: the status line that shows a failure's
//! message (or a success) to screen readers too, and field helpers.

use leptos::prelude::*;

/// A page's outcome line: `Err` shows as an alert, `Ok` as a polite status.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    None,
    Ok(String),
    Err(String),
}

#[component]
pub fn Status(note: RwSignal<Note>) -> impl IntoView {
    move || match note.get() {
        Note::None => ().into_any(),
        Note::Ok(m) => view! { <p class="ok" role="status">{m}</p> }.into_any(),
        Note::Err(m) => view! { <p class="err" role="alert">{m}</p> }.into_any(),
    }
}

/// Copies `text` to the clipboard (best effort: the text is shown too).
pub fn copy(text: String) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(&text);
    }
}
