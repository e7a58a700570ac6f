//! Webhooks: endpoints with their events, the secret shown once, and each
//! endpoint's delivery log (status, attempts, next retry).

use gloo_net::http::Method;
use lantern_shared::api::{
    CreateWebhook, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookList,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{Note, Status},
};

const EVENTS: [&str; 7] = [
    "conversation.created",
    "message.created",
    "conversation.handoff",
    "member.invited",
    "conversation.assigned",
    "conversation.agent_replied",
    "conversation.closed",
];

#[component]
pub fn Webhooks() -> impl IntoView {
    let site = StoredValue::new(ctx().site_id());
    let hooks = RwSignal::new(Vec::<Webhook>::new());
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(EVENTS.iter().map(|e| e.to_string()).collect::<Vec<_>>());
    let secret = RwSignal::new(None::<String>);
    let log = RwSignal::new(None::<(String, Vec<WebhookDelivery>)>);
    let note = RwSignal::new(Note::None);
    let path = move || api::site_path(&site.get_value(), "/webhooks");
    let reload = move || {
        spawn_local(async move {
            match api::get::<WebhookList>(&path(), Some(&site.get_value())).await {
                Ok(l) => hooks.set(l.items),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateWebhook {
            url: url.get_untracked(),
            events: chosen.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, Webhook>(Method::POST, &path(), Some(&site.get_value()), &body)
                .await
            {
                Ok(w) => {
                    secret.set(w.secret);
                    url.set(String::new());
                    note.set(Note::Ok("Endpoint added.".into()));
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match api::act(
                Method::DELETE,
                &format!("{}/{id}", path()),
                Some(&site.get_value()),
            )
            .await
            {
                Ok(()) => reload(),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let show_log = move |id: String| {
        spawn_local(async move {
            let p = format!("{}/{id}/deliveries", path());
            match api::get::<WebhookDeliveryList>(&p, Some(&site.get_value())).await {
                Ok(l) => log.set(Some((id, l.items))),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"Webhooks"</h1>
            <form on:submit=create>
                <label>"Endpoint URL" <input type="url" name="webhook_url" required placeholder="https://" bind:value=url/></label>
                <fieldset>
                    <legend>"Events"</legend>
                    {EVENTS.iter().map(|e| {
                        let e = e.to_string();
                        let e2 = e.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&e2))
                                    on:change={ let e = e.clone(); move |_| chosen.update(|c| {
                                        if let Some(i) = c.iter().position(|x| *x == e) { c.remove(i); } else { c.push(e.clone()); }
                                    })}/>
                                {e.clone()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit">"Add endpoint"</button>
            </form>
            <Show when=move || secret.get().is_some()>
                <p class="notice" role="status">"Signing secret, shown only this once:"</p>
                <pre class="code" tabindex="0">{move || secret.get()}</pre>
            </Show>
            <Status note=note/>
            <ul class="plain">
                <For each=move || hooks.get() key=|w| w.id.clone() let:w>
                    {
                        let (id1, id2) = (w.id.clone(), w.id.clone());
                        view! {
                            <li>
                                <strong>{w.url.clone()}</strong>" — "{w.events.join(", ")}
                                <button type="button" class="secondary" on:click=move |_| show_log(id1.clone())>"Delivery log"</button>
                                <button type="button" class="danger" on:click=move |_| remove(id2.clone())>"Delete"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || log.get().is_some()>
                <h2>"Delivery log"</h2>
                <table class="list">
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col">"Last answer"</th><th scope="col">"Next retry"</th></tr></thead>
                    <tbody>
                        {move || log.get().map(|(_, items)| items.into_iter().map(|d| view! {
                            <tr>
                                <td>{d.event}</td>
                                <td>{d.status}</td>
                                <td>{d.attempts}</td>
                                <td>{d.last_status_code.map(|c| c.to_string()).or(d.last_error).unwrap_or_default()}</td>
                                <td>{d.next_attempt_at.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}
