//! The open conversation: its actions (assign, snooze, close, hand back),
//! the transcript (the bot's sources, notes marked as such), the composer
//! and the visitor panel.

use gloo_net::http::Method;
use lantern_shared::api::{Attachment, ConversationStatus, Message, Page as ListPage, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Inbox, compose::Composer};
use crate::api;

/// Opens conversation `id`: loads its transcript and marks it read.
pub fn open(inbox: Inbox, id: String) {
    inbox.open.set(Some(id.clone()));
    inbox.messages.set(Vec::new());
    inbox.draft.set(String::new());
    spawn_local(async move {
        let s = inbox.site.get_value();
        let mut after = 0;
        let mut all = Vec::new();
        for _ in 0..20 {
            let path = format!("/api/v1/conversations/{id}/messages?limit=100&after={after}");
            match api::get::<ListPage<Message>>(&path, Some(&s)).await {
                Ok(page) => {
                    all.extend(page.items);
                    match page.next_cursor.and_then(|c| c.parse().ok()) {
                        Some(next) => after = next,
                        None => break,
                    }
                }
                Err(e) => {
                    inbox.error.set(Some(e.message));
                    return;
                }
            }
        }
        if inbox.open.get_untracked().as_deref() == Some(id.as_str()) {
            inbox.messages.set(all);
            mark_read(inbox, id);
        }
    });
}

/// Marks `id` read, here and on the server.
pub fn mark_read(inbox: Inbox, id: String) {
    inbox.convs.update(|all| {
        if let Some(c) = all.iter_mut().find(|c| c.id == id) {
            c.unread = 0;
        }
    });
    spawn_local(async move {
        let s = inbox.site.get_value();
        let path = format!("/api/v1/conversations/{id}/read");
        let _ = api::call::<_, serde_json::Value>(
            Method::POST,
            &path,
            Some(&s),
            &serde_json::json!({}),
        )
        .await;
    });
}

/// Adds a message that arrived live (once).
pub fn add(inbox: Inbox, m: Message) {
    inbox.messages.update(|v| {
        if !v.iter().any(|x| x.id == m.id) {
            let at = v.partition_point(|x| x.seq < m.seq);
            v.insert(at, m);
        }
    });
    scroll_down();
}

fn scroll_down() {
    request_animation_frame(|| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".transcript").ok().flatten())
        {
            el.set_scroll_top(el.scroll_height());
        }
    });
}

#[component]
pub fn Thread() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    move || {
        let Some(id) = inbox.open.get() else {
            return view! {
                <div class="thread empty"><p class="hint">"Pick a conversation (j / k, then Enter)."</p></div>
            }
            .into_any();
        };
        view! { <Open id=id/> }.into_any()
    }
}

#[component]
fn Open(id: String) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let id = StoredValue::new(id);
    let conv = move || inbox.conv(&id.get_value());
    let me = inbox.me.get_value();
    let act = move |action: &'static str, body: serde_json::Value| {
        inbox.act(id.get_value(), action, body)
    };
    let me2 = me.clone();
    let status = move || conv().map(|c| c.status);
    let assignee = move || conv().and_then(|c| c.assignee_id);
    view! {
        <div class="thread">
            <header class="thread-head">
                <h2>{move || format!("Conversation · {}", status().map_or("", |s| s.as_str()))}</h2>
                <span class="hint">{move || match assignee() {
                    None => "Unassigned".to_string(),
                    Some(a) if a == me => "Assigned to you".to_string(),
                    Some(_) => "Assigned to a colleague".to_string(),
                }}</span>
                <div class="actions">
                    <button type="button" on:click=move |_| act("assign", serde_json::json!({"user_id": me2.clone()}))
                        disabled=move || assignee().as_deref() == Some(inbox.me.get_value().as_str())>"Assign to me"</button>
                    <AssignTo id=id/>
                    <super::snooze::Snooze id=id/>
                    <button type="button" class="secondary"
                        disabled=move || status() != Some(ConversationStatus::Handoff)
                        on:click=move |_| act("release", serde_json::json!({}))>"Hand back to bot"</button>
                    <button type="button" class="secondary"
                        disabled=move || status() == Some(ConversationStatus::Closed)
                        on:click=move |_| act("close", serde_json::json!({}))>"Close"</button>
                </div>
            </header>
            <div class="thread-body">
                <div class="transcript" role="log" aria-label="Transcript" tabindex="0">
                    {move || inbox.messages.get().into_iter().map(|m| view! { <Bubble m=m/> }).collect_view()}
                    {move || (inbox.typing.get() == Some(id.get_value()))
                        .then(|| view! {
                            <p class="hint typing" role="status">"The visitor is typing…"
                                {move || inbox.typing_draft.get().map(|d| view! { <q class="draft">{d}</q> })}
                            </p>
                        })}
                </div>
                <super::visitor::VisitorPanel id=id/>
            </div>
            <Composer id=id/>
        </div>
    }
}

/// Owners may give the conversation to any member.
#[component]
fn AssignTo(id: StoredValue<String>) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let owner = crate::ctx().role_untracked() == Some(lantern_shared::accounts::MemberRole::Owner);
    let members = RwSignal::new(Vec::<lantern_shared::accounts::Member>::new());
    if owner {
        spawn_local(async move {
            let s = inbox.site.get_value();
            if let Ok(l) = api::get::<lantern_shared::accounts::MemberList>(
                &api::site_path(&s, "/members"),
                Some(&s),
            )
            .await
            {
                members.set(l.items);
            }
        });
    }
    owner.then(|| {
        view! {
            <label class="assign-to">
                <span class="visually-hidden">"Assign to"</span>
                <select on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let user = if v.is_empty() { serde_json::Value::Null } else { v.into() };
                    inbox.act(id.get_value(), "assign", serde_json::json!({"user_id": user}));
                }>
                    <option value="" selected=true>"Assign to…"</option>
                    {move || members.get().into_iter().map(|m| view! {
                        <option value=m.user_id.clone()>{m.name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    })
}

#[component]
fn Bubble(m: Message) -> impl IntoView {
    let who = match (m.role, &m.author) {
        (Role::User, _) => "Visitor".to_string(),
        (Role::Assistant, _) => "Bot".to_string(),
        (Role::Agent, Some(a)) => a.name.clone(),
        (Role::Agent, None) => "Agent".to_string(),
        (Role::System, _) => String::new(),
    };
    let class = format!(
        "bubble {}{}",
        m.role.as_str(),
        if m.internal { " note" } else { "" }
    );
    let cites = (!m.citations.is_empty()).then(|| view! {
        <ul class="cites" aria-label="Sources">
            {m.citations.iter().map(|c| match &c.url {
                Some(u) if u.starts_with("http") => view! { <li><a href=u.clone() target="_blank" rel="noopener noreferrer">{c.title.clone()}</a></li> }.into_any(),
                _ => view! { <li>{c.title.clone()}</li> }.into_any(),
            }).collect_view()}
        </ul>
    });
    let at = m.created_at.clone();
    let site = expect_context::<Inbox>().site.get_value();
    let files = (!m.attachments.is_empty()).then(|| view! {
        <ul class="files" aria-label="Attachments">
            {m.attachments.iter().map(|a| view! { <li><File a=a.clone() site=site.clone()/></li> }).collect_view()}
        </ul>
    });
    view! {
        <div class=class>
            <div class="bubble-head">
                <b>{who}</b>
                {m.internal.then(|| view! { <span class="tag">"Private note"</span> })}
                {m.rating.map(|r| match r {
                    lantern_shared::api::Rating::Up => view! { <span class="tag" title="The visitor found this helpful">"👍 helpful"</span> },
                    lantern_shared::api::Rating::Down => view! { <span class="tag" title="The visitor found this unhelpful">"👎 not helpful"</span> },
                })}
                <time datetime=at.clone()>{at.get(11..16).unwrap_or_default().to_string()}</time>
            </div>
            <div class="html" inner_html=m.html.clone()></div>
            {files}
            {cites}
        </div>
    }
}

/// An attachment in the transcript: an image as its thumbnail (opening the
/// full image), any other file as a link that downloads it.
#[component]
pub fn File(a: Attachment, site: String) -> impl IntoView {
    let href = api::attachment_url(&a.url, &site);
    let label = format!("{} ({})", a.name, size(a.size));
    match &a.thumbnail_url {
        Some(thumb) => view! {
            <a class="file image" href=href target="_blank" rel="noopener" title=label.clone()>
                <img src=api::attachment_url(thumb, &site) alt=a.name.clone() loading="lazy"/>
            </a>
        }
        .into_any(),
        None => view! {
            <a class="file" href=href download=a.name.clone()>"📎 "{label}</a>
        }
        .into_any(),
    }
}

/// Bytes for people: 812 B, 14 KB, 3.2 MB.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", b / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}
