//! Creating a site: the person becomes its owner; its first admin key is
//! shown once.

use gloo_net::http::Method;
use lantern_shared::accounts::{CreateSite, CreatedSite, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    Page, api, ctx,
    ui::{Note, Status},
};

#[component]
pub fn NewSite() -> impl IntoView {
    let ctx = ctx();
    let name = RwSignal::new(String::new());
    let origins = RwSignal::new(String::new());
    let note = RwSignal::new(Note::None);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateSite {
            name: name.get_untracked(),
            allowed_origins: origins
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        };
        spawn_local(async move {
            match api::call::<_, CreatedSite>(Method::POST, "/api/v1/sites", None, &body).await {
                Ok(site) => {
                    if let Ok(info) = api::get::<SessionInfo>("/api/v1/me", None).await {
                        ctx.me.set(Some(info));
                    }
                    ctx.site.set(Some(site.site_id));
                    ctx.page.set(Page::Settings);
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"New site"</h1>
            <form on:submit=create>
                <label>"Site name" <input type="text" name="site_name" required maxlength="100" bind:value=name/></label>
                <label>"Allowed origins" <textarea rows="2" aria-describedby="new-origin-hint" bind:value=origins></textarea></label>
                <p class="hint" id="new-origin-hint">"One per line, such as https://www.example.com (you can change them later)."</p>
                <button type="submit">"Create site"</button>
            </form>
            <Status note=note/>
        </section>
    }
}
