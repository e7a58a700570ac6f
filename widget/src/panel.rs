//! The chat panel: header, message log (a polite live region), notices and
//! the composer. Escape or minimise hands closing to the loader, which
//! returns focus to the launcher; opening moves focus into the message box.
//! Its styles (`style.css`) are not in the wasm: `app.js` carries them and
//! the loader adopts them into the shadow root as a constructed stylesheet,
//! which a host page's `style-src` cannot block.

use leptos::html::{Div, Textarea};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use lantern_shared::api::ConversationStatus;

use crate::chat::{Chat, config};
use crate::composer::Composer;
use crate::i18n::is_rtl;
use crate::message::Bubble;
use crate::{hooks, icons};

fn close() {
    hooks::call("close", JsValue::UNDEFINED);
}

/// A plain-text bubble: the welcome, unconfirmed messages, replies being
/// written (none of them has the server's html yet).
fn plain(class: &'static str, text: String) -> impl IntoView {
    view! { <div class=class><p class="text" dir="auto">{text}</p></div> }
}

#[component]
pub fn Panel(chat: Chat) -> impl IntoView {
    let t = chat.t();
    let lang = config(|c| c.lang.clone());
    let dir = if is_rtl(&lang) { "rtl" } else { "ltr" };
    let site = chat.site_id();
    let log = NodeRef::<Div>::new();
    let input = NodeRef::<Textarea>::new();

    // Focus into the panel when it opens (not on a restored page load).
    Effect::watch(
        move || chat.open.get(),
        move |open, _, _| {
            if *open {
                request_animation_frame(move || {
                    if let Some(el) = input.get_untracked() {
                        let _ = el.focus();
                    }
                });
            }
        },
        false,
    );
    // Keep the newest message in view.
    Effect::new(move |_| {
        chat.messages.track();
        chat.pending.track();
        chat.drafts.track();
        chat.sending.track();
        request_animation_frame(move || {
            if let Some(el) = log.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    let title = move || {
        chat.site.with(|s| {
            s.as_ref()
                .map_or(t.chat.to_string(), |s| s.bot_name.clone())
        })
    };
    let welcome = move || {
        let empty = chat.messages.with(|v| v.is_empty());
        let text = chat
            .site
            .with(|s| s.as_ref().map(|s| s.welcome_message.clone()));
        text.filter(|_| empty).map(|w| plain("msg assistant", w))
    };
    let drafts = move || {
        chat.drafts
            .with(|d| d.iter().map(|x| x.text()).collect::<Vec<_>>())
            .into_iter()
            .map(|text| plain("msg assistant", text))
            .collect_view()
    };
    // Unconfirmed messages are few and short-lived: no keyed list needed.
    let pending = move || {
        chat.pending
            .get()
            .into_iter()
            .map(|p| {
                let class = if p.failed {
                    "msg user failed"
                } else {
                    "msg user"
                };
                // Files alone: their thumbnails come with the stored message.
                let text = if p.content.is_empty() {
                    "…".into()
                } else {
                    p.content
                };
                plain(class, text)
            })
            .collect_view()
    };
    let email = RwSignal::new(String::new());
    let typing = move || {
        (chat.sending.get() && chat.drafts.with(|d| d.is_empty())) || chat.agent_typing.get()
    };

    view! {
        <section class="panel" role="dialog" aria-labelledby="lantern-title" dir=dir lang=lang
            data-lantern-app=site hidden=move || !chat.open.get()
            on:keydown=move |ev| if ev.key() == "Escape" { ev.stop_propagation(); close() }>
            <header class="head">
                <h2 id="lantern-title">{title}</h2>
                <button type="button" class="icon" aria-label=t.human title=t.human prop:innerHTML=hooks::trusted(icons::HUMAN)
                    on:click=move |_| chat.handoff()>
                </button>
                <button type="button" class="icon" aria-label=t.new_chat title=t.new_chat prop:innerHTML=hooks::trusted(icons::NEW)
                    on:click=move |_| chat.new_conversation()>
                </button>
                <button type="button" class="icon" aria-label=t.minimise title=t.minimise prop:innerHTML=hooks::trusted(icons::MINIMISE)
                    on:click=move |_| close()>
                </button>
            </header>
            <div class="log" role="log" aria-live="polite" aria-label=t.messages node_ref=log tabindex="0">
                {welcome}
                // By position, not keyed: messages are appended (rarely
                // inserted), so a rebuild compares and keeps the DOM of
                // those already shown, and `<For>`'s keyed diffing would
                // cost every visitor 3.5 KB of wasm.
                {move || chat.messages.get().into_iter()
                    .map(|m| view! { <Bubble chat=chat m=m/> })
                    .collect_view()}
                {pending}
                {drafts}
                {move || typing().then(|| view! {
                    <div class="typing" role="status" aria-label=t.typing><i></i><i></i><i></i></div>
                })}
            </div>
            {move || (chat.status.get() == Some(ConversationStatus::Handoff))
                .then(|| view! { <p class="note" role="status">{t.handoff_done}</p> })}
            {move || match chat.away.get() {
                1 => Some(view! {
                    <form class="away" on:submit=move |ev| {
                        ev.prevent_default();
                        chat.leave_contact(email.get_untracked());
                    }>
                        <p>{t.nobody}</p>
                        <input type="email" required aria-label=t.email placeholder=t.email
                            on:input=move |ev| email.set(event_target_value(&ev))/>
                        <button type="submit">{t.leave}</button>
                    </form>
                }.into_any()),
                2 => Some(view! { <p class="note" role="status">{t.thanks}</p> }.into_any()),
                _ => None,
            }}
            {move || chat.notice.get().map(|n| view! {
                <div class="notice" role="alert">
                    <span>{n}</span>
                    <button type="button" on:click=move |_| chat.retry()>{t.retry}</button>
                </div>
            })}
            <Composer chat=chat input=input/>
        </section>
    }
}
