//! The team: members and their roles, removal, and invites (a single-use
//! link to hand over; no mail server needed).

use gloo_net::http::Method;
use lantern_shared::accounts::{
    CreateInvite, Invite, Member, MemberList, MemberRole, PendingInvite, PendingInviteList,
    UpdateMember,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{self, Note, Status},
};

#[component]
pub fn Team() -> impl IntoView {
    let site = ctx().site_id();
    let members = RwSignal::new(Vec::<Member>::new());
    let pending = RwSignal::new(Vec::<PendingInvite>::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(MemberRole::Agent);
    let link = RwSignal::new(None::<String>);
    let note = RwSignal::new(Note::None);
    let site = StoredValue::new(site);
    let reload = move || {
        spawn_local(async move {
            let s = site.get_value();
            match api::get::<MemberList>(&api::site_path(&s, "/members"), Some(&s)).await {
                Ok(l) => members.set(l.items),
                Err(e) => note.set(Note::Err(e.message)),
            }
            if let Ok(l) =
                api::get::<PendingInviteList>(&api::site_path(&s, "/invites"), Some(&s)).await
            {
                pending.set(l.items);
            }
        });
    };
    reload();
    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateInvite {
            email: email.get_untracked(),
            role: role.get_untracked(),
        };
        spawn_local(async move {
            let s = site.get_value();
            match api::call::<_, Invite>(
                Method::POST,
                &api::site_path(&s, "/invites"),
                Some(&s),
                &body,
            )
            .await
            {
                Ok(i) => {
                    link.set(Some(i.invite_url));
                    note.set(Note::Ok(format!(
                        "Invite for {} ready: hand them the link.",
                        body.email
                    )));
                    email.set(String::new());
                    reload();
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let change = move |user: String, new_role: Option<MemberRole>| {
        spawn_local(async move {
            let s = site.get_value();
            let p = api::site_path(&s, &format!("/members/{user}"));
            let done = match new_role {
                Some(role) => {
                    api::call::<_, Member>(Method::PATCH, &p, Some(&s), &UpdateMember { role })
                        .await
                        .map(|_| ())
                }
                None => api::act(Method::DELETE, &p, Some(&s)).await,
            };
            match done {
                Ok(()) => note.set(Note::Ok("Team updated.".into())),
                Err(e) => note.set(Note::Err(e.message)),
            }
            reload();
        });
    };
    view! {
        <section class="card">
            <h1>"Team"</h1>
            <table class="list">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || members.get() key=|m| (m.user_id.clone(), m.role.as_str()) let:m>
                        {
                            let (u1, u2) = (m.user_id.clone(), m.user_id.clone());
                            let owner = m.role == MemberRole::Owner;
                            view! {
                                <tr>
                                    <td>{m.name.clone()}</td>
                                    <td>{m.email.clone()}</td>
                                    <td>
                                        <select aria-label=format!("Role of {}", m.email) on:change=move |ev| {
                                            let r = MemberRole::parse(&event_target_value(&ev));
                                            if r.is_some() { change(u1.clone(), r) }
                                        }>
                                            <option value="owner" selected=owner>"Owner"</option>
                                            <option value="agent" selected=!owner>"Agent"</option>
                                        </select>
                                    </td>
                                    <td><button type="button" class="danger" aria-label=format!("Remove {}", m.email)
                                        on:click=move |_| change(u2.clone(), None)>"Remove"</button></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <Show when=move || !pending.with(Vec::is_empty)>
                <h2>"Pending invites"</h2>
                <ul class="pending-invites">
                    <For each=move || pending.get() key=|i| (i.email.clone(), i.created_at.clone()) let:i>
                        <li>{format!("{} — {} — until {}", i.email, i.role.as_str(), i.expires_at.get(..10).unwrap_or(&i.expires_at))}</li>
                    </For>
                </ul>
            </Show>
            <h2>"Invite someone"</h2>
            <form class="row" on:submit=invite>
                <label>"Email" <input type="email" name="invite_email" required bind:value=email/></label>
                <label>"Role"
                    <select name="invite_role" on:change=move |ev| role.set(MemberRole::parse(&event_target_value(&ev)).unwrap_or(MemberRole::Agent))>
                        <option value="agent" selected>"Agent (inbox only)"</option>
                        <option value="owner">"Owner (everything)"</option>
                    </select>
                </label>
                <button type="submit">"Create invite link"</button>
            </form>
            <Status note=note/>
            <Show when=move || link.get().is_some()>
                <div class="notice">
                    <p>"Single-use invite link, valid for 7 days:"</p>
                    <pre class="code invite-url" tabindex="0">{move || link.get()}</pre>
                    <button type="button" on:click=move |_| ui::copy(link.get_untracked().unwrap_or_default())>"Copy link"</button>
                </div>
            </Show>
        </section>
    }
}
