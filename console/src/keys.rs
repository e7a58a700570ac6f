//! Admin API keys: create with a label (the key is shown once), list with
//! creation and last use, revoke.

use gloo_net::http::Method;
use lantern_shared::accounts::{ApiKey, ApiKeyList, CreateApiKey, CreatedApiKey};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{self, Note, Status},
};

#[component]
pub fn Keys() -> impl IntoView {
    let site = ctx().site_id();
    let keys = RwSignal::new(Vec::<ApiKey>::new());
    let label = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let note = RwSignal::new(Note::None);
    let path = StoredValue::new(api::site_path(&site, "/keys"));
    let site = StoredValue::new(site);
    let reload = move || {
        spawn_local(async move {
            match api::get::<ApiKeyList>(&path.get_value(), Some(&site.get_value())).await {
                Ok(l) => keys.set(l.items),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateApiKey {
            label: label.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, CreatedApiKey>(
                Method::POST,
                &path.get_value(),
                Some(&site.get_value()),
                &body,
            )
            .await
            {
                Ok(k) => {
                    fresh.set(Some(k.key));
                    label.set(String::new());
                    note.set(Note::Ok(format!("Key “{}” created.", k.label)));
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let revoke = move |id: String, label: String| {
        spawn_local(async move {
            let p = format!("{}/{id}", path.get_value());
            match api::act(Method::DELETE, &p, Some(&site.get_value())).await {
                Ok(()) => {
                    note.set(Note::Ok(format!("Key “{label}” revoked.")));
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"API keys"</h1>
            <p>"Admin keys let your own servers use the API for this site. Keep them secret."</p>
            <form class="row" on:submit=create>
                <label>"Label" <input type="text" name="label" required maxlength="100" bind:value=label/></label>
                <button type="submit">"Create key"</button>
            </form>
            <Show when=move || fresh.get().is_some()>
                <div class="notice" role="status">
                    <p>"Copy the new key now: it is shown only this once."</p>
                    <pre class="code new-key" tabindex="0">{move || fresh.get()}</pre>
                    <button type="button" on:click=move |_| ui::copy(fresh.get_untracked().unwrap_or_default())>"Copy"</button>
                </div>
            </Show>
            <Status note=note/>
            <table class="list">
                <thead><tr><th scope="col">"Label"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || keys.get() key=|k| k.id.clone() let:k>
                        {
                            let label = if k.label.is_empty() { "(no label)".to_string() } else { k.label.clone() };
                            let (id, l2) = (k.id.clone(), label.clone());
                            view! {
                                <tr>
                                    <td>{label.clone()}</td>
                                    <td>{k.created_at.get(..16).unwrap_or_default().replace('T', " ")}</td>
                                    <td>{k.last_used_at.as_deref().and_then(|t| t.get(..16)).map(|t| t.replace('T', " ")).unwrap_or_else(|| "never".into())}</td>
                                    <td><button type="button" class="danger" aria-label=format!("Revoke {label}")
                                        on:click=move |_| revoke(id.clone(), l2.clone())>"Revoke"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
    }
}
