//! The inbox's left column: the lists with their counts, the search box,
//! and the rows (unread marks, waiting time, status, assignee).

use lantern_shared::api::{Conversation, ConversationStatus};
use leptos::prelude::*;

use super::{Inbox, List, thread, time_ms};

/// "4 min", "2 h", "3 d": how long since `ms`.
pub fn ago(now: f64, ms: f64) -> String {
    let s = ((now - ms) / 1000.0).max(0.0) as i64;
    match s {
        0..60 => "<1 min".into(),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86400),
    }
}

#[component]
pub fn Lists() -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let query = RwSignal::new(String::new());
    view! {
        <div class="lists">
            <form role="search" on:submit=move |ev| {
                ev.prevent_default();
                inbox.search(query.get_untracked());
            }>
                <label class="visually-hidden" for="inbox-search">"Search messages"</label>
                <input id="inbox-search" type="search" placeholder="Search messages"
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        if v.is_empty() { inbox.search(String::new()); }
                        query.set(v);
                    }/>
            </form>
            <nav class="list-tabs" aria-label="Lists">
                {List::ALL.into_iter().map(|l| view! {
                    <button type="button" class="list-tab"
                        aria-current=move || (inbox.found.with(Option::is_none) && inbox.list.get() == l).then_some("true")
                        on:click=move |_| { inbox.found.set(None); query.set(String::new()); inbox.list.set(l); }>
                        {l.label()}" "<span class="count">{move || inbox.count(l)}</span>
                    </button>
                }).collect_view()}
            </nav>
            <ul class="rows" role="listbox" aria-label="Conversations">
                {move || {
                    let rows = inbox.rows();
                    if rows.is_empty() {
                        return view! { <li class="hint empty">"Nothing here."</li> }.into_any();
                    }
                    rows.into_iter().map(|c| view! { <Row c=c/> }).collect_view().into_any()
                }}
            </ul>
        </div>
    }
}

#[component]
fn Row(c: Conversation) -> impl IntoView {
    let inbox = expect_context::<Inbox>();
    let id = c.id.clone();
    let (a, b, d) = (id.clone(), id.clone(), id.clone());
    let selected = move || inbox.cursor.get().as_deref() == Some(a.as_str());
    let opened = move || inbox.open.get().as_deref() == Some(b.as_str());
    let waiting = c
        .waiting_since
        .clone()
        .filter(|_| c.status == ConversationStatus::Handoff);
    let wait = move || {
        waiting
            .as_deref()
            .map(|w| format!("waiting {}", ago(inbox.now.get(), time_ms(w))))
    };
    let typing = move || inbox.typing.get().as_deref() == Some(d.as_str());
    let me = inbox.me.get_value();
    let who = match c.assignee_id.as_deref() {
        None => "unassigned".to_string(),
        Some(x) if x == me => "you".to_string(),
        Some(_) => "a colleague".to_string(),
    };
    let unread = c.unread;
    let row_class = if unread > 0 { "unread" } else { "read" };
    let label = format!(
        "Conversation {} · {}{}",
        &c.id[c.id.len().saturating_sub(6)..],
        c.status.as_str(),
        if unread > 0 {
            format!(" · {unread} unread")
        } else {
            String::new()
        }
    );
    view! {
        <li role="option" aria-selected=move || selected().to_string()
            class=row_class class:opened=opened
            on:click=move |_| { inbox.cursor.set(Some(id.clone())); thread::open(inbox, id.clone()); }>
            <span class="row-title">{label}</span>
            <span class="row-meta">
                <span class=format!("status {}", c.status.as_str())>{c.status.as_str()}</span>
                " · "{who}
                {move || wait().map(|w| view! { " · " <span class="wait">{w}</span> })}
                {move || typing().then(|| view! { " · " <em>"typing…"</em> })}
            </span>
            {(unread > 0).then(|| view! { <span class="badge" aria-hidden="true">{unread}</span> })}
        </li>
    }
}
