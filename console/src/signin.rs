//! Signing in: with email and password, with a one-time link (`#link=…`,
//! printed by the server on first start), or by accepting an invite
//! (`#invite=…`), which also sets the password.

use gloo_net::http::Method;
use lantern_shared::accounts::{AcceptInvite as AcceptBody, SessionInfo, SignIn as SignInBody};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    Ctx, api, ctx,
    ui::{Note, Status},
};

/// Reads `#NAME=VALUE` from the address and removes the hash, so a token
/// never stays in the address bar or the history.
pub fn take_hash(name: &str) -> Option<String> {
    let window = web_sys::window()?;
    let hash = window.location().hash().ok()?;
    let value = hash.strip_prefix(&format!("#{name}="))?.to_string();
    if let Ok(history) = window.history() {
        let path = window
            .location()
            .pathname()
            .unwrap_or_else(|_| "/console/".into());
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
    (!value.is_empty()).then_some(value)
}

/// Signs in with a one-time link's token.
pub async fn with_link(ctx: Ctx, token: String) {
    let body = SignInBody {
        link_token: Some(token),
        ..Default::default()
    };
    match api::call::<_, SessionInfo>(Method::POST, "/api/v1/session", None, &body).await {
        Ok(info) => ctx.signed_in(info),
        Err(e) => {
            // An old or used link: fall through to the password form, and
            // tell why.
            LINK_FAILURE.with(|f| *f.borrow_mut() = Some(e.message));
        }
    }
}

thread_local! {
    static LINK_FAILURE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

#[component]
pub fn SignIn() -> impl IntoView {
    let ctx = ctx();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let note = RwSignal::new(match LINK_FAILURE.with(|f| f.borrow_mut().take()) {
        Some(m) => Note::Err(format!("The sign-in link did not work: {m}")),
        None => Note::None,
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = SignInBody {
            email: Some(email.get_untracked()),
            password: Some(password.get_untracked()),
            link_token: None,
        };
        spawn_local(async move {
            match api::call::<_, SessionInfo>(Method::POST, "/api/v1/session", None, &body).await {
                Ok(info) => ctx.signed_in(info),
                Err(e) => note.set(Note::Err(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="signin" id="main">
            <form class="card" on:submit=submit>
                <h1>"Sign in to Lantern"</h1>
                <label>"Email"
                    <input type="email" name="email" autocomplete="username" required bind:value=email/>
                </label>
                <label>"Password"
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password/>
                </label>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                <Status note=note/>
                <p class="hint">"First time? Open the one-time link the server printed when it started, or the invite link an owner gave you."</p>
            </form>
        </main>
    }
}

#[component]
pub fn AcceptInvite(token: String) -> impl IntoView {
    let ctx = ctx();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let note = RwSignal::new(Note::None);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = AcceptBody {
            token: token.get_value(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::call::<_, SessionInfo>(Method::POST, "/api/v1/invites/accept", None, &body)
                .await
            {
                Ok(info) => ctx.signed_in(info),
                Err(e) => note.set(Note::Err(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="signin" id="main">
            <form class="card" on:submit=submit>
                <h1>"Join the team"</h1>
                <label>"Your name"
                    <input type="text" name="name" autocomplete="name" required maxlength="100" bind:value=name/>
                </label>
                <label>"Password"
                    <input type="password" name="password" autocomplete="new-password" required minlength="12" bind:value=password
                        aria-describedby="pw-hint"/>
                </label>
                <p class="hint" id="pw-hint">"At least 12 characters. If this email already has a Lantern account, enter its password."</p>
                <button type="submit" disabled=move || busy.get()>"Accept the invite"</button>
                <Status note=note/>
            </form>
        </main>
    }
}
