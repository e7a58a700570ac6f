//! The signed-in person: name, email, password (set one after a one-time
//! link), sign out here or everywhere.

use gloo_net::http::Method;
use lantern_shared::accounts::{SessionInfo, UpdateMe};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{Note, Status},
};

#[component]
pub fn Account() -> impl IntoView {
    let ctx = ctx();
    let me = ctx.me.get_untracked();
    let name = RwSignal::new(me.as_ref().map(|m| m.user.name.clone()).unwrap_or_default());
    let email = RwSignal::new(
        me.as_ref()
            .map(|m| m.user.email.clone())
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let current = RwSignal::new(String::new());
    let note = RwSignal::new(Note::None);
    let password_set = move || ctx.me.with(|m| m.as_ref().is_some_and(|m| m.password_set));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        let body = UpdateMe {
            name: Some(name.get_untracked()),
            email: Some(email.get_untracked()),
            password: (!pw.is_empty()).then_some(pw),
            current_password: Some(current.get_untracked()).filter(|c| !c.is_empty()),
        };
        spawn_local(async move {
            match api::call::<_, SessionInfo>(Method::PATCH, "/api/v1/me", None, &body).await {
                Ok(info) => {
                    password.set(String::new());
                    current.set(String::new());
                    ctx.me.set(Some(info));
                    note.set(Note::Ok("Saved.".into()));
                }
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    let sign_out = move |everywhere: bool| {
        spawn_local(async move {
            let path = if everywhere {
                "/api/v1/session?everywhere=true"
            } else {
                "/api/v1/session"
            };
            match api::act(Method::DELETE, path, None).await {
                Ok(()) => ctx.me.set(None),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Show when=move || !password_set()>
                <p class="notice" role="note">"You signed in with a one-time link. Set your email and a password now: the link works only once."</p>
            </Show>
            <form on:submit=save>
                <label>"Name" <input type="text" autocomplete="name" maxlength="100" bind:value=name/></label>
                <label>"Email" <input type="email" autocomplete="email" bind:value=email/></label>
                <label>"New password"
                    <input type="password" autocomplete="new-password" minlength="12" bind:value=password/>
                </label>
                <Show when=password_set>
                    <label>"Current password"
                        <input type="password" autocomplete="current-password" bind:value=current/>
                    </label>
                </Show>
                <button type="submit">"Save"</button>
            </form>
            <Status note=note/>
            <div class="row">
                <button type="button" class="secondary" on:click=move |_| sign_out(false)>"Sign out"</button>
                <button type="button" class="secondary" on:click=move |_| sign_out(true)>"Sign out everywhere"</button>
            </div>
        </section>
    }
}
