//! How one document was split for search: each passage with its heading
//! path, and a switch to leave a passage out of search.

use gloo_net::http::Method;
use lantern_shared::knowledge::{Document, PassageView, Passages, SetEnabled};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{Note, Status},
};

#[component]
pub fn PassagePreview(
    doc: Document,
    close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let items = RwSignal::new(Vec::<PassageView>::new());
    let note = RwSignal::new(Note::None);
    let path = StoredValue::new(format!("/api/v1/knowledge/documents/{}/passages", doc.id));
    spawn_local(async move {
        match api::get::<Passages>(&path.get_value(), Some(&site.get_value())).await {
            Ok(p) => items.set(p.items),
            Err(e) => note.set(Note::Err(e.message)),
        }
    });
    let toggle = move |p: PassageView| {
        spawn_local(async move {
            let at = format!("{}/{}", path.get_value(), p.id);
            let body = SetEnabled {
                enabled: !p.enabled,
            };
            match api::call::<_, PassageView>(Method::PATCH, &at, Some(&site.get_value()), &body)
                .await
            {
                Ok(updated) => items.update(|all| {
                    if let Some(x) = all.iter_mut().find(|x| x.id == updated.id) {
                        *x = updated;
                    }
                }),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="passages" aria-label="Passages">
            <h2>"Passages of “"{doc.title.clone()}"”"</h2>
            <button type="button" class="secondary" on:click=move |_| close()>"Close"</button>
            <Status note=note/>
            <ol class="plain">
                <For each=move || items.get() key=|p| (p.id, p.enabled) let:p>
                    {
                        let p2 = p.clone();
                        view! {
                            <li class:disabled=!p.enabled>
                                <p class="heading"><strong>{p.heading.clone()}</strong></p>
                                <p class="text">{p.text.clone()}</p>
                                <button type="button" class="secondary" on:click=move |_| toggle(p2.clone())>
                                    {if p.enabled { "Leave out of search" } else { "Search again" }}
                                </button>
                            </li>
                        }
                    }
                </For>
            </ol>
        </section>
    }
}
