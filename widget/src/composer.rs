//! The message box: Enter sends, Shift+Enter starts a new line; sending is
//! blocked while a message is on its way (the box stays editable so focus
//! and typing are never lost).

use leptos::html::Textarea;
use leptos::prelude::*;

use crate::chat::Chat;
use crate::{hooks, icons};

#[component]
pub fn Composer(chat: Chat, input: NodeRef<Textarea>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move || {
        if chat.sending.get_untracked() {
            return;
        }
        let v = text.get_untracked();
        if !v.trim().is_empty() {
            chat.submit(v);
            text.set(String::new());
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); send() }>
            <textarea node_ref=input rows="1" aria-label=chat.t().input placeholder=chat.t().placeholder
                prop:value=move || text.get()
                on:input=move |ev| { text.set(event_target_value(&ev)); chat.typed(event_target_value(&ev)); }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }></textarea>
            <button type="submit" class="send" aria-label=chat.t().send title=chat.t().send prop:innerHTML=hooks::trusted(icons::SEND)
                disabled=move || chat.sending.get()>
            </button>
        </form>
    }
}
