//! The knowledge page: every document with its state, source, language,
//! passages, size, last update and times cited; add files (picker or drag
//! and drop, several at once), a page or sitemap URL, or pasted text;
//! turn documents on and off, delete them, preview their passages. While
//! anything is importing, the page polls and shows the progress.

use std::time::Duration;

use gloo_net::http::Method;
use lantern_shared::{
    api::Page,
    knowledge::{
        CreateDocument, CreateSource, Document, DocumentFormat, SetEnabled, Source, SourceAccepted,
        SourceKind, Sources, UploadResult,
    },
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::{
    api, ctx,
    passages::PassagePreview,
    ui::{Note, Status},
};

const DOCUMENTS: &str = "/api/v1/knowledge/documents";
const SOURCES: &str = "/api/v1/knowledge/sources";

/// `12.3 kB` and the like.
fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

#[component]
pub fn Knowledge() -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let docs = RwSignal::new(Vec::<Document>::new());
    let sources = RwSignal::new(Vec::<Source>::new());
    let note = RwSignal::new(Note::None);
    let preview = RwSignal::new(None::<Document>);
    let reload = move || {
        spawn_local(async move {
            let s = site.get_value();
            match api::get::<Page<Document>>(&format!("{DOCUMENTS}?limit=100"), Some(&s)).await {
                Ok(p) => docs.set(p.items),
                Err(e) => note.set(Note::Err(e.message)),
            }
            if let Ok(l) = api::get::<Sources>(SOURCES, Some(&s)).await {
                sources.set(l.items);
            }
        });
    };
    reload();
    // Live progress: poll while an import is under way.
    let busy = move || {
        docs.with_untracked(|d| d.iter().any(|d| d.state == "indexing"))
            || sources.with_untracked(|s| {
                s.iter()
                    .any(|s| s.state == "running" || s.state == "queued")
            })
    };
    if let Ok(h) = set_interval_with_handle(
        move || {
            if busy() {
                reload();
            }
        },
        Duration::from_millis(1500),
    ) {
        on_cleanup(move || h.clear());
    }
    let upload = move |form: web_sys::FormData| {
        note.set(Note::Ok("Uploading…".into()));
        spawn_local(async move {
            match api::upload::<UploadResult>(
                "/api/v1/knowledge/uploads",
                Some(&site.get_value()),
                form,
            )
            .await
            {
                Ok(r) => {
                    let failed: Vec<String> = r
                        .items
                        .iter()
                        .filter_map(|i| i.error.as_ref().map(|e| format!("{}: {e}", i.name)))
                        .collect();
                    let added = r.items.len() - failed.len();
                    note.set(if failed.is_empty() {
                        Note::Ok(format!("{added} file(s) added."))
                    } else {
                        Note::Err(format!(
                            "{added} file(s) added. Not added — {}",
                            failed.join("; ")
                        ))
                    });
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let send_files = move |files: Option<web_sys::FileList>| {
        let Some(files) = files.filter(|f| f.length() > 0) else {
            return;
        };
        let Ok(form) = web_sys::FormData::new() else {
            return;
        };
        for i in 0..files.length() {
            if let Some(f) = files.get(i) {
                let _ = form.append_with_blob_and_filename("file", &f, &f.name());
            }
        }
        upload(form);
    };
    let dragging = RwSignal::new(false);
    let url = RwSignal::new(String::new());
    let kind = RwSignal::new(SourceKind::Page);
    let add_url = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateSource {
            url: url.get_untracked().trim().to_string(),
            kind: kind.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, SourceAccepted>(
                Method::POST,
                SOURCES,
                Some(&site.get_value()),
                &body,
            )
            .await
            {
                Ok(_) => {
                    url.set(String::new());
                    note.set(Note::Ok("Importing in the background…".into()));
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let paste = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateDocument {
            title: title.get_untracked(),
            body: text.get_untracked(),
            format: Some(DocumentFormat::Markdown),
            ..Default::default()
        };
        spawn_local(async move {
            match api::call::<_, Document>(Method::POST, DOCUMENTS, Some(&site.get_value()), &body)
                .await
            {
                Ok(_) => {
                    title.set(String::new());
                    text.set(String::new());
                    note.set(Note::Ok("Text added.".into()));
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let toggle = move |d: Document| {
        spawn_local(async move {
            let body = SetEnabled {
                enabled: !d.enabled,
            };
            let path = format!("{DOCUMENTS}/{}", d.id);
            match api::call::<_, Document>(Method::PATCH, &path, Some(&site.get_value()), &body)
                .await
            {
                Ok(_) => reload(),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match api::act(
                Method::DELETE,
                &format!("{DOCUMENTS}/{id}"),
                Some(&site.get_value()),
            )
            .await
            {
                Ok(()) => reload(),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let sync = move |id: String| {
        spawn_local(async move {
            let path = format!("{SOURCES}/{id}/sync");
            match api::call::<_, SourceAccepted>(
                Method::POST,
                &path,
                Some(&site.get_value()),
                &serde_json::json!({}),
            )
            .await
            {
                Ok(_) => reload(),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card knowledge">
            <h1>"Knowledge"</h1>
            <div class="dropzone" class:dragging=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(false);
                    send_files(ev.data_transfer().and_then(|d| d.files()));
                }>
                <label>"Add files (.md, .txt, .html, .pdf, .docx, FAQ .csv/.json) — or drop them here"
                    <input type="file" name="files" multiple
                        accept=".md,.markdown,.txt,.html,.htm,.pdf,.docx,.csv,.json"
                        on:change=move |ev| {
                            let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                            send_files(input.as_ref().and_then(|i| i.files()));
                            if let Some(i) = input { i.set_value(""); }
                        }/>
                </label>
            </div>
            <form class="row" on:submit=add_url>
                <label>"Web page or sitemap URL" <input type="url" name="source_url" required placeholder="https://" bind:value=url/></label>
                <label>"Kind"
                    <select name="source_kind" on:change=move |ev| kind.set(if event_target_value(&ev) == "sitemap" { SourceKind::Sitemap } else { SourceKind::Page })>
                        <option value="page">"One page"</option>
                        <option value="sitemap">"Sitemap"</option>
                    </select>
                </label>
                <button type="submit">"Import"</button>
            </form>
            <details>
                <summary>"Paste text"</summary>
                <form on:submit=paste>
                    <label>"Title" <input name="paste_title" required maxlength="200" bind:value=title/></label>
                    <label>"Text (markdown)" <textarea name="paste_body" required rows="6" bind:value=text></textarea></label>
                    <button type="submit">"Add text"</button>
                </form>
            </details>
            <Status note=note/>
            <Show when=move || !sources.with(Vec::is_empty)>
                <h2>"URL sources"</h2>
                <table class="list sources">
                    <thead><tr><th scope="col">"URL"</th><th scope="col">"Kind"</th><th scope="col">"State"</th><th scope="col">"Pages"</th><th scope="col">"Synced"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>
                        <For each=move || sources.get() key=|s| (s.id.clone(), s.state.clone(), s.pages_done, s.pages_failed) let:s>
                            {
                                let id = s.id.clone();
                                let running = s.state == "running" || s.state == "queued";
                                view! {
                                    <tr>
                                        <td>{s.url.clone()}</td>
                                        <td>{if s.kind == SourceKind::Sitemap { "sitemap" } else { "page" }}</td>
                                        <td>{s.state.clone()}{s.error.clone().map(|e| format!(" — {e}"))}</td>
                                        <td>{format!("{} of {} ({} failed)", s.pages_done, s.pages_total, s.pages_failed)}
                                            <progress max=s.pages_total.max(1).to_string() value=(s.pages_done + s.pages_failed).to_string()></progress></td>
                                        <td>{s.synced_at.clone().unwrap_or_default()}</td>
                                        <td><button type="button" class="secondary" disabled=running on:click=move |_| sync(id.clone())>"Sync"</button></td>
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
            </Show>
            <h2>"Documents"</h2>
            <table class="list documents">
                <thead><tr>
                    <th scope="col">"Title"</th><th scope="col">"Source"</th><th scope="col">"Language"</th>
                    <th scope="col">"Passages"</th><th scope="col">"Size"</th><th scope="col">"State"</th>
                    <th scope="col">"Updated"</th><th scope="col">"Cited"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    <For each=move || docs.get() key=|d| (d.id.clone(), d.state.clone(), d.enabled, d.cited) let:d>
                        {
                            let (d1, d2, id) = (d.clone(), d.clone(), d.id.clone());
                            view! {
                                <tr class:disabled=!d.enabled data-state=d.state.clone()>
                                    <td>{match d.url.clone() {
                                        Some(u) if u.starts_with("http") => view! { <a href=u target="_blank" rel="noopener">{d.title.clone()}</a> }.into_any(),
                                        _ => d.title.clone().into_any(),
                                    }}</td>
                                    <td>{d.source.clone()}</td>
                                    <td>{d.language.clone()}</td>
                                    <td>{d.passages}</td>
                                    <td>{size(d.size)}</td>
                                    <td class="state">{d.state.clone()}{d.error.clone().map(|e| format!(": {e}"))}</td>
                                    <td>{d.updated_at.get(..16).unwrap_or_default().replace('T', " ")}</td>
                                    <td>{d.cited}</td>
                                    <td class="actions">
                                        <button type="button" class="secondary" on:click=move |_| preview.set(Some(d1.clone()))>"Passages"</button>
                                        <button type="button" class="secondary" on:click=move |_| toggle(d2.clone())>{if d.enabled { "Disable" } else { "Enable" }}</button>
                                        <button type="button" class="danger" on:click=move |_| remove(id.clone())>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            {move || preview.get().map(|d| view! { <PassagePreview doc=d close=move || preview.set(None)/> })}
        </section>
    }
}
