//! Try it: a question in, the ranked passages with their scores, the answer
//! the bot would give with its citations, and whether it would hand over —
//! in any of the site's languages, creating no conversation.

use gloo_net::http::Method;
use lantern_shared::insights::{TryQuestion, TryResult};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{Note, Status},
};

#[component]
pub fn Playground() -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let q = RwSignal::new(String::new());
    let language = RwSignal::new(String::new());
    let result = RwSignal::new(None::<TryResult>);
    let note = RwSignal::new(Note::None);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = language.get_untracked();
        let body = TryQuestion {
            q: q.get_untracked(),
            language: (!lang.trim().is_empty()).then(|| lang.trim().to_string()),
        };
        note.set(Note::None);
        spawn_local(async move {
            let path = api::site_path(&site.get_value(), "/knowledge/try");
            match api::call::<_, TryResult>(Method::POST, &path, Some(&site.get_value()), &body)
                .await
            {
                Ok(r) => result.set(Some(r)),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card playground">
            <h1>"Try it"</h1>
            <form on:submit=ask>
                <label>"Question" <input name="question" required maxlength="2000" bind:value=q/></label>
                <label>"Language (optional, e.g. fr)" <input name="language" maxlength="35" bind:value=language/></label>
                <button type="submit">"Ask"</button>
            </form>
            <Status note=note/>
            {move || result.get().map(|r| {
                let decision = r.answer.retrieval.get("decision").and_then(|d| d.as_str()).unwrap_or("").to_string();
                view! {
                    <div class="tried">
                        <h2>"Answer"</h2>
                        <p class="decision">
                            {format!("Decision: {decision}. ")}
                            {if r.handoff { "Would hand over to a person." } else { "Would not hand over." }}
                        </p>
                        <div class="answer" inner_html=r.answer.html.clone()></div>
                        <Show when={let n = r.answer.citations.len(); move || n > 0}>
                            <h3>"Citations"</h3>
                        </Show>
                        <ul class="citations">
                            {r.answer.citations.iter().map(|c| view! {
                                <li>{match c.url.clone() {
                                    Some(u) => view! { <a href=u target="_blank" rel="noopener">{c.title.clone()}</a> }.into_any(),
                                    None => c.title.clone().into_any(),
                                }}</li>
                            }).collect_view()}
                        </ul>
                        <h2>"Passages found"</h2>
                        <table class="list results">
                            <thead><tr><th scope="col">"#"</th><th scope="col">"Document"</th><th scope="col">"Section"</th><th scope="col">"Score"</th><th scope="col">"Snippet"</th></tr></thead>
                            <tbody>
                                {r.results.iter().enumerate().map(|(i, h)| view! {
                                    <tr>
                                        <td>{i + 1}</td>
                                        <td>{h.title.clone()}</td>
                                        <td>{h.section.clone()}</td>
                                        <td class="score">{format!("{:.3}", h.score)}</td>
                                        // Escaped text with <mark> around matches, made by the server.
                                        <td inner_html=h.snippet.clone()></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            })}
        </section>
    }
}
