//! The conversation log (owners): every conversation of the site, filtered
//! by status, vote, unanswered replies, language and start date, a page at
//! a time; each opens read-only with the decision behind every bot answer.

use lantern_shared::{
    api::Page,
    conversation_log::{LogEntry, TranscriptMessage},
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    transcript::{self, Transcript},
    ui::{Note, Status},
};

/// The chosen filters.
#[derive(Clone, Copy)]
struct Filters {
    status: RwSignal<String>,
    rating: RwSignal<String>,
    unanswered: RwSignal<String>,
    language: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Filters {
    /// The query string of the filters set (and of the page after `cursor`).
    fn query(&self, cursor: Option<&str>) -> String {
        let mut q = vec!["limit=25".to_string()];
        for (name, value) in [
            ("status", self.status),
            ("rating", self.rating),
            ("unanswered", self.unanswered),
            ("language", self.language),
            ("from", self.from),
            ("to", self.to),
        ] {
            let v = value.get_untracked();
            let v = v.trim();
            if !v.is_empty() {
                q.push(format!("{name}={}", js_sys::encode_uri_component(v)));
            }
        }
        if let Some(c) = cursor {
            q.push(format!("cursor={c}"));
        }
        format!("?{}", q.join("&"))
    }
}

#[component]
pub fn ConversationLog() -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let f = Filters {
        status: RwSignal::new(String::new()),
        rating: RwSignal::new(String::new()),
        unanswered: RwSignal::new(String::new()),
        language: RwSignal::new(String::new()),
        from: RwSignal::new(String::new()),
        to: RwSignal::new(String::new()),
    };
    let items = RwSignal::new(Vec::<LogEntry>::new());
    let next = RwSignal::new(None::<String>);
    let transcript = RwSignal::new(None::<(String, Vec<TranscriptMessage>)>);
    let note = RwSignal::new(Note::None);
    // A first page replaces the list; a later one is appended.
    let load = move |cursor: Option<String>| {
        let path = api::site_path(
            &site.get_value(),
            &format!("/conversations/log{}", f.query(cursor.as_deref())),
        );
        spawn_local(async move {
            match api::get::<Page<LogEntry>>(&path, Some(&site.get_value())).await {
                Ok(p) => {
                    note.set(Note::None);
                    if cursor.is_some() {
                        items.update(|i| i.extend(p.items));
                    } else {
                        items.set(p.items);
                    }
                    next.set(p.next_cursor);
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    load(None);
    let open = move |id: String| transcript::open(id, site.get_value(), transcript, note);
    view! {
        <section class="card log">
            <h1>"Conversations"</h1>
            <form class="row filters" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load(None); }>
                <label>"Status" <select name="status" on:change=move |ev| f.status.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    <option value="open">"Open"</option>
                    <option value="handoff">"Handed over"</option>
                    <option value="closed">"Closed"</option>
                </select></label>
                <label>"Rating" <select name="rating" on:change=move |ev| f.rating.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    <option value="up">"👍 thumbs up"</option>
                    <option value="down">"👎 thumbs down"</option>
                    <option value="none">"No vote"</option>
                </select></label>
                <label>"Answers" <select name="unanswered" on:change=move |ev| f.unanswered.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    <option value="true">"Some unanswered"</option>
                    <option value="false">"All answered"</option>
                </select></label>
                <label>"Language" <input name="language" size="6" placeholder="en" bind:value=f.language/></label>
                <label>"From" <input type="date" name="from" bind:value=f.from/></label>
                <label>"To" <input type="date" name="to" bind:value=f.to/></label>
                <button type="submit">"Filter"</button>
            </form>
            <Status note=note/>
            <table class="log">
                <thead><tr>
                    <th scope="col">"Started"</th><th scope="col">"First question"</th>
                    <th scope="col">"Status"</th><th scope="col">"Language"</th>
                    <th scope="col">"Messages"</th><th scope="col">"Unanswered"</th>
                    <th scope="col">"👍 / 👎"</th><th scope="col"><span class="visually-hidden">"Open"</span></th>
                </tr></thead>
                <tbody>
                    <For each=move || items.get() key=|e| e.id.clone() let:e>
                        <Row entry=e open=open/>
                    </For>
                </tbody>
            </table>
            {move || items.with(Vec::is_empty).then(|| view! { <p class="muted">"No conversations match."</p> })}
            {move || next.get().map(|c| view! {
                <button type="button" class="secondary" on:click=move |_| load(Some(c.clone()))>"More"</button>
            })}
            <Transcript shown=transcript/>
        </section>
    }
}

/// One conversation of the list.
#[component]
fn Row(entry: LogEntry, open: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = entry.id.clone();
    let started = entry
        .created_at
        .replace('T', " ")
        .get(..16)
        .unwrap_or_default()
        .to_string();
    view! {
        <tr data-unanswered=(entry.unanswered > 0).then_some("true")>
            <td>{started}</td>
            <td>{entry.question.unwrap_or_else(|| "—".into())}</td>
            <td>{entry.status.as_str()}</td>
            <td>{entry.language}</td>
            <td>{entry.messages}</td>
            <td>{entry.unanswered}</td>
            <td>{format!("{} / {}", entry.thumbs_up, entry.thumbs_down)}</td>
            <td><button type="button" class="secondary" on:click=move |_| open(id.clone())>"Open"</button></td>
        </tr>
    }
}
