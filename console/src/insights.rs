//! Insights: the figures of a range per day (chart and table), totals, the
//! documents replies cited most, and the questions the bot could not
//! answer — each with "write the answer" (a curated answer, given from then
//! on) and its conversations, read here. The figures download as CSV.

use gloo_net::http::Method;
use lantern_shared::{
    conversation_log::TranscriptMessage,
    insights::{CitedDocuments, Insights, UnansweredList, UnansweredQuestion},
    knowledge::{CreateCuratedAnswer, CuratedAnswer},
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api,
    chart::{DayChart, DayTable},
    ctx,
    transcript::{self, Transcript},
    ui::{Note, Status},
};

/// `?from=…&to=…` of the chosen range (empty: the server's last 30 days).
fn range(from: &str, to: &str) -> String {
    let mut q = Vec::new();
    if !from.is_empty() {
        q.push(format!("from={from}"));
    }
    if !to.is_empty() {
        q.push(format!("to={to}"));
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let figures = RwSignal::new(None::<Insights>);
    let cited = RwSignal::new(None::<CitedDocuments>);
    let unanswered = RwSignal::new(Vec::<UnansweredQuestion>::new());
    let transcript = RwSignal::new(None::<(String, Vec<TranscriptMessage>)>);
    let note = RwSignal::new(Note::None);
    let load = move || {
        let q = range(&from.get_untracked(), &to.get_untracked());
        spawn_local(async move {
            let s = site.get_value();
            match api::get::<Insights>(&api::site_path(&s, &format!("/insights{q}")), Some(&s))
                .await
            {
                Ok(f) => figures.set(Some(f)),
                Err(e) => return note.set(Note::Err(e.message)),
            }
            if let Ok(c) = api::get::<CitedDocuments>(
                &api::site_path(&s, &format!("/insights/documents{q}")),
                Some(&s),
            )
            .await
            {
                cited.set(Some(c));
            }
            if let Ok(u) = api::get::<UnansweredList>(
                &api::site_path(&s, &format!("/insights/unanswered{q}")),
                Some(&s),
            )
            .await
            {
                unanswered.set(u.items);
            }
        });
    };
    load();
    let export = move |_| {
        let q = range(&from.get_untracked(), &to.get_untracked());
        spawn_local(async move {
            let s = site.get_value();
            match api::text(&api::site_path(&s, &format!("/insights.csv{q}")), Some(&s)).await {
                Ok(csv) => download("lantern-insights.csv", &csv),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let open = move |id: String| transcript::open(id, site.get_value(), transcript, note);
    view! {
        <section class="card insights">
            <h1>"Insights"</h1>
            <form class="row" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load(); }>
                <label>"From" <input type="date" name="from" bind:value=from/></label>
                <label>"To" <input type="date" name="to" bind:value=to/></label>
                <button type="submit">"Show"</button>
                <button type="button" class="secondary" on:click=export>"Export CSV"</button>
            </form>
            <Status note=note/>
            {move || figures.get().map(|f| {
                let t = f.totals.clone();
                view! {
                    <dl class="totals">
                        <dt>"Conversations"</dt><dd>{t.conversations}</dd>
                        <dt>"Answered"</dt><dd>{t.answered}</dd>
                        <dt>"Not answered"</dt><dd>{t.unanswered}</dd>
                        <dt>"Handed over"</dt><dd>{t.handoffs}</dd>
                        <dt>"👍 / 👎"</dt><dd>{format!("{} / {}", t.thumbs_up, t.thumbs_down)}</dd>
                        <dt>"Median first human reply"</dt>
                        <dd>{t.median_first_response_seconds.map(|s| format!("{s} s")).unwrap_or_else(|| "—".into())}</dd>
                    </dl>
                    <DayChart days=f.days.clone()/>
                    <details class="figures">
                        <summary>"The figures as a table"</summary>
                        <DayTable days=f.days totals=f.totals/>
                    </details>
                }
            })}
            <h2>"Most cited documents"</h2>
            <ol class="cited">
                {move || cited.get().map(|c| c.items.into_iter().map(|d| view! {
                    <li>{d.title}" — "{d.count}</li>
                }).collect_view())}
            </ol>
            <h2>"Questions the bot could not answer"</h2>
            <ul class="plain unanswered">
                <For each=move || unanswered.get() key=|u| (u.question.clone(), u.count) let:u>
                    <Unanswered item=u note=note open=open/>
                </For>
            </ul>
            <Transcript shown=transcript/>
        </section>
    }
}

/// One unanswered question: how often, and the ways to act on it.
#[component]
fn Unanswered(
    item: UnansweredQuestion,
    note: RwSignal<Note>,
    open: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let writing = RwSignal::new(false);
    let answer = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let question = StoredValue::new(item.question.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateCuratedAnswer {
            question: question.get_value(),
            answer: answer.get_untracked(),
            language: None,
        };
        let site = site.get_value();
        spawn_local(async move {
            match api::call::<_, CuratedAnswer>(
                Method::POST,
                "/api/v1/knowledge/answers",
                Some(&site),
                &body,
            )
            .await
            {
                Ok(_) => {
                    writing.set(false);
                    done.set(true);
                    note.set(Note::Ok(
                        "Answer saved: the bot gives it from now on.".into(),
                    ));
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <li class="question">
            <p><strong>{item.question.clone()}</strong>
                {format!(" — asked {} time(s), last {}", item.count, item.last_seen.get(..10).unwrap_or_default())}
                {move || done.get().then_some(" ✓ answered")}</p>
            <button type="button" on:click=move |_| writing.set(true)>"Write the answer"</button>
            {item.conversation_ids.into_iter().take(3).map(|id| {
                let short = id.get(..8).unwrap_or_default().to_string();
                view! { <button type="button" class="secondary" on:click=move |_| open(id.clone())>{format!("Open conversation {short}")}</button> }
            }).collect_view()}
            <Show when=move || writing.get()>
                <form on:submit=save>
                    <label>"Answer (markdown)" <textarea name="curated_answer" required rows="3" maxlength="4000" bind:value=answer></textarea></label>
                    <button type="submit">"Save the answer"</button>
                </form>
            </Show>
        </li>
    }
}

/// Offers `text` as a file download (a Blob behind a temporary link).
fn download(name: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(a) = doc
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
