//! The visitor panel beside the transcript: who the visitor is (name,
//! email, user id when known), their browser and OS, their local time,
//! where they are and came from, their earlier conversations (open one by
//! clicking it) and the team's notes on them.

use gloo_net::http::Method;
use lantern_shared::{
    api::{Conversation, Page as ListPage},
    visitors::{Memory, MemoryList, VisitorProfile},
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::{Inbox, list::ago, thread, time_ms};
use crate::api;

/// The weekday and `HH:MM` now in the IANA time zone `tz`.
pub fn local_time(tz: &str) -> Option<String> {
    format_time(
        js_sys::Date::now(),
        &[
            ("timeZone", tz),
            ("weekday", "short"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
        ],
    )
}

/// `ms` formatted by `Intl.DateTimeFormat` in the member's locale with
/// `options`; `None` when the browser refuses them (an unknown time zone
/// throws, and a throw must not reach wasm, hence the checked calls).
pub fn format_time(ms: f64, options: &[(&str, &str)]) -> Option<String> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let ctor: js_sys::Function = js_sys::Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .into();
    let opts = js_sys::Object::new();
    for (k, v) in options {
        js_sys::Reflect::set(&opts, &(*k).into(), &(*v).into()).ok()?;
    }
    let args = js_sys::Array::of2(&JsValue::UNDEFINED, &opts);
    let dtf = js_sys::Reflect::construct(&ctor, &args).ok()?;
    let format: js_sys::Function = js_sys::Reflect::get(&dtf, &"format".into()).ok()?.into();
    format
        .call1(&dtf, &js_sys::Date::new(&ms.into()))
        .ok()?
        .as_string()
}

#[component]
pub fn VisitorPanel(id: StoredValue<String>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let conv = move || inbox.conv(&id.get_value());
    let profile = RwSignal::new(None::<VisitorProfile>);
    let earlier = RwSignal::new(Vec::<Conversation>::new());
    let notes = RwSignal::new(Vec::<Memory>::new());
    let note = RwSignal::new(String::new());
    let failed = RwSignal::new(None::<String>);
    let visitor_id = conv().and_then(|c| c.visitor_id);
    if let Some(vid) = visitor_id.clone() {
        spawn_local(async move {
            let s = inbox.site.get_value();
            match api::get::<VisitorProfile>(&format!("/api/v1/visitors/{vid}"), Some(&s)).await {
                Ok(p) => profile.set(Some(p)),
                Err(e) => failed.set(Some(e.message)),
            }
            let path = format!("/api/v1/conversations?visitor_id={vid}&limit=20");
            if let Ok(page) = api::get::<ListPage<Conversation>>(&path, Some(&s)).await {
                let here = id.get_value();
                earlier.set(page.items.into_iter().filter(|c| c.id != here).collect());
            }
            if let Ok(l) =
                api::get::<MemoryList>(&format!("/api/v1/visitors/{vid}/memories"), Some(&s)).await
            {
                notes.set(l.items);
            }
        });
    }
    let vid = StoredValue::new(visitor_id);
    let add_note = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = note.get_untracked();
        let Some(v) = vid.get_value() else { return };
        if text.trim().is_empty() {
            return;
        }
        spawn_local(async move {
            let s = inbox.site.get_value();
            let path = format!("/api/v1/visitors/{v}/memories");
            match api::call::<_, Memory>(
                Method::POST,
                &path,
                Some(&s),
                &serde_json::json!({"content": text}),
            )
            .await
            {
                Ok(m) => {
                    notes.update(|all| all.insert(0, m));
                    note.set(String::new());
                    failed.set(None);
                }
                Err(e) => failed.set(Some(e.message)),
            }
        });
    };
    let remove_note = move |mid: String| {
        let Some(v) = vid.get_value() else { return };
        spawn_local(async move {
            let s = inbox.site.get_value();
            let path = format!("/api/v1/visitors/{v}/memories/{mid}");
            match api::act(Method::DELETE, &path, Some(&s)).await {
                Ok(()) => notes.update(|all| all.retain(|m| m.id != mid)),
                Err(e) => failed.set(Some(e.message)),
            }
        });
    };
    let open_earlier = move |c: Conversation| {
        if inbox.conv(&c.id).is_none() {
            inbox.convs.update(|all| all.push(c.clone()));
        }
        thread::open(inbox, c.id);
    };
    let dash = || "—".to_string();
    view! {
        <aside class="visitor" aria-label="Visitor">
            <h3>{move || profile.get().and_then(|p| p.name).unwrap_or_else(|| "Visitor".into())}</h3>
            {move || failed.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <dl>
                {move || profile.get().map(|p| {
                    let email = p.email.clone().or_else(|| p.contact_email.clone().map(|e| format!("{e} (left in the chat)")));
                    let browser = match (&p.browser, &p.os) {
                        (Some(b), Some(o)) => format!("{b} on {o}"),
                        (Some(b), None) => b.clone(),
                        (None, Some(o)) => o.clone(),
                        (None, None) => dash(),
                    };
                    let tz = p.time_zone.clone();
                    view! {
                        <dt>"Email"</dt><dd class="v-email">{email.unwrap_or_else(dash)}</dd>
                        {p.user_id.clone().map(|u| view! { <dt>"User id"</dt><dd class="v-user">{u}</dd> })}
                        <dt>"Browser"</dt><dd class="v-browser">{browser}</dd>
                        <dt>"Local time"</dt>
                        <dd class="v-time">{move || {
                            inbox.now.track();
                            match &tz {
                                Some(z) => match local_time(z) {
                                    Some(t) => format!("{t} ({z})"),
                                    None => z.clone(),
                                },
                                None => dash(),
                            }
                        }}</dd>
                    }
                })}
                {move || conv().map(|c| {
                    let started = ago(inbox.now.get(), time_ms(&c.created_at));
                    view! {
                        <dt>"Language"</dt><dd>{c.language.clone()}</dd>
                        <dt>"Started"</dt><dd>{format!("{started} ago")}</dd>
                        <dt>"Page"</dt><dd class="url">{c.page_url.clone().unwrap_or_else(dash)}</dd>
                        <dt>"Came from"</dt><dd class="url">{c.referrer.clone().unwrap_or_else(dash)}</dd>
                    }
                })}
            </dl>
            <h4>"Earlier conversations"</h4>
            {move || {
                let list = earlier.get();
                if list.is_empty() {
                    return view! { <p class="hint">"None"</p> }.into_any();
                }
                view! {
                    <ul class="earlier">
                        {list.into_iter().map(|c| {
                            let label = format!("{} · {} ago", c.status.as_str(), ago(inbox.now.get_untracked(), time_ms(&c.created_at)));
                            let c2 = c.clone();
                            view! { <li><button type="button" class="link" on:click=move |_| open_earlier(c2.clone())>{label}</button></li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h4>"Notes on this visitor"</h4>
            <ul class="notes">
                {move || notes.get().into_iter().map(|m| {
                    let mid = m.id.clone();
                    let by = m.author.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| m.source.clone());
                    view! {
                        <li>
                            <span class="note-text">{m.content.clone()}</span>
                            <small class="hint">{format!(" — {by}")}</small>
                            <button type="button" class="link" aria-label="Delete note" on:click=move |_| remove_note(mid.clone())>"×"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || vid.get_value().map(|_| view! {
                <form class="add-note" on:submit=add_note>
                    <label class="visually-hidden" for="visitor-note">"Note on this visitor"</label>
                    <textarea id="visitor-note" rows="2" maxlength="2000" placeholder="Add a note on this visitor"
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="secondary">"Add note"</button>
                </form>
            })}
        </aside>
    }
}
