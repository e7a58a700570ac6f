//! The composer: *Reply* (to the visitor) or *Private note* (the team
//! only), `/shortcut` for a canned response, Enter to send (Shift+Enter for
//! a new line). While the member types, the visitor sees a typing
//! indicator (at most one signal every few seconds). *Attach* uploads
//! files at once; they go with the next reply or note.

use gloo_net::http::Method;
use lantern_shared::api::{Attachment, PostMessage, PostMessageResponse};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::{Inbox, Mode, thread};
use crate::api;

/// How often "typing" is sent while the member keeps typing.
const TYPING_EVERY_MS: f64 = 3000.0;

/// Moves the focus into the composer.
pub fn focus() {
    request_animation_frame(|| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("composer"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

/// The `/word` being typed at the end of `text`, if any.
fn shortcut_typed(text: &str) -> Option<&str> {
    let last = text.rsplit(char::is_whitespace).next()?;
    let word = last.strip_prefix('/')?;
    word.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        .then_some(word)
}

#[component]
pub fn Composer(id: StoredValue<String>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let sending = RwSignal::new(false);
    // Uploaded, to go with the next message.
    let files = RwSignal::new(Vec::<Attachment>::new());
    let uploading = RwSignal::new(0_u32);
    let attach = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(list) = input.files() else { return };
        let chosen: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        input.set_value("");
        for file in chosen {
            uploading.update(|n| *n += 1);
            let (conv, s) = (id.get_value(), inbox.site.get_value());
            spawn_local(async move {
                match api::upload_attachment(&conv, &s, &file).await {
                    Ok(a) => files.update(|f| f.push(a)),
                    Err(e) => inbox
                        .error
                        .set(Some(format!("{}: {}", file.name(), e.message))),
                }
                uploading.update(|n| *n -= 1);
            });
        }
    };
    let last_typing = StoredValue::new(0.0_f64);
    let typing = move |on: bool| {
        let s = inbox.site.get_value();
        let path = format!("/api/v1/conversations/{}/typing", id.get_value());
        spawn_local(async move {
            let _ = api::call::<_, serde_json::Value>(
                Method::POST,
                &path,
                Some(&s),
                &serde_json::json!({"typing": on}),
            )
            .await;
        });
    };
    let suggestions = move || {
        let draft = inbox.draft.get();
        let Some(word) = shortcut_typed(&draft) else {
            return Vec::new();
        };
        inbox.canned.with(|all| {
            all.iter()
                .filter(|c| c.shortcut.starts_with(word))
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let insert = move |content: String| {
        inbox.draft.update(|d| {
            if let Some(word) = shortcut_typed(d) {
                let keep = d.len() - word.len() - 1;
                d.truncate(keep);
                d.push_str(&content);
            }
        });
        focus();
    };
    let send = move || {
        let content = inbox.draft.get_untracked();
        let attachment_ids: Vec<String> = files.get_untracked().into_iter().map(|a| a.id).collect();
        if (content.trim().is_empty() && attachment_ids.is_empty())
            || sending.get_untracked()
            || uploading.get_untracked() > 0
        {
            return;
        }
        sending.set(true);
        let note = inbox.mode.get_untracked() == Mode::Note;
        let conv = id.get_value();
        spawn_local(async move {
            let s = inbox.site.get_value();
            let body = PostMessage {
                content,
                internal: note.then_some(true),
                attachment_ids,
                ..Default::default()
            };
            let path = format!("/api/v1/conversations/{conv}/messages");
            match api::call::<_, PostMessageResponse>(Method::POST, &path, Some(&s), &body).await {
                Ok(r) => {
                    inbox.draft.set(String::new());
                    files.set(Vec::new());
                    thread::add(inbox, r.message);
                    if r.reopened {
                        inbox
                            .error
                            .set(Some("Your reply reopened the closed conversation.".into()));
                    }
                }
                Err(e) => inbox.error.set(Some(e.message)),
            }
            sending.set(false);
            if !note {
                last_typing.set_value(0.0);
            }
        });
    };
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let empty = v.is_empty();
        inbox.draft.set(v);
        if inbox.mode.get_untracked() != Mode::Reply {
            return;
        }
        let now = js_sys::Date::now();
        if empty {
            last_typing.set_value(0.0);
            typing(false);
        } else if now - last_typing.get_value() > TYPING_EVERY_MS {
            last_typing.set_value(now);
            typing(true);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if (key == "Tab" || key == "Enter")
            && !ev.shift_key()
            && let Some(first) = suggestions().into_iter().next()
        {
            ev.prevent_default();
            insert(first.content);
            return;
        }
        if key == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            send();
        }
    };
    let mode_button = move |m: Mode, label: &'static str| {
        view! {
            <button type="button" class="mode" aria-pressed=move || (inbox.mode.get() == m).to_string()
                on:click=move |_| { inbox.mode.set(m); focus(); }>{label}</button>
        }
    };
    view! {
        <form class="composer" class:note=move || inbox.mode.get() == Mode::Note
            on:submit=move |ev| { ev.prevent_default(); send(); }>
            <div class="modes" role="group" aria-label="Write">
                {mode_button(Mode::Reply, "Reply")}
                {mode_button(Mode::Note, "Private note")}
            </div>
            <label class="visually-hidden" for="composer">
                {move || if inbox.mode.get() == Mode::Note { "Private note" } else { "Reply" }}
            </label>
            <textarea id="composer" rows="3"
                placeholder=move || if inbox.mode.get() == Mode::Note {
                    "A note for the team: the visitor never sees it"
                } else {
                    "Reply to the visitor (/ for canned responses)"
                }
                prop:value=move || inbox.draft.get()
                on:input=on_input on:keydown=on_key
                on:blur=move |_| { if last_typing.get_value() > 0.0 { last_typing.set_value(0.0); typing(false); } }>
            </textarea>
            {move || {
                let s = suggestions();
                (!s.is_empty()).then(|| view! {
                    <ul class="canned" role="listbox" aria-label="Canned responses">
                        {s.into_iter().map(|c| {
                            let content = c.content.clone();
                            view! {
                                <li role="option" on:mousedown=move |ev| { ev.prevent_default(); insert(content.clone()); }>
                                    <b>{format!("/{}", c.shortcut)}</b>" "{c.content.chars().take(80).collect::<String>()}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            {move || {
                let pending = files.get();
                (!pending.is_empty()).then(|| view! {
                    <ul class="files pending" aria-label="To send">
                        {pending.into_iter().map(|a| {
                            let gone = a.id.clone();
                            view! {
                                <li>{a.name.clone()}" ("{thread::size(a.size)}")"
                                    <button type="button" class="link" aria-label=format!("Remove {}", a.name)
                                        on:click=move |_| files.update(|f| f.retain(|x| x.id != gone))>"×"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            <label class="attach">
                {move || if uploading.get() > 0 { "Uploading…" } else { "Attach" }}
                <input type="file" multiple=true class="visually-hidden" on:change=attach
                    accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"/>
            </label>
            <button type="submit" disabled=move || { sending.get() || uploading.get() > 0 }>
                {move || if inbox.mode.get() == Mode::Note { "Add note" } else { "Send reply" }}
            </button>
        </form>
    }
}
