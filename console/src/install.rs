//! Install: the embed tag, and identity verification (a secret and the
//! server-side snippet computing `user_hash`).

use gloo_net::http::Method;
use lantern_shared::api::IssuedSecret;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{self, Note, Status},
};

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[component]
pub fn Install() -> impl IntoView {
    let ctx = ctx();
    let site = ctx.site_id();
    // The saved position goes into the tag (the loader places the bubble
    // before any request, so it cannot come from the site's config).
    let position = RwSignal::new(String::from("right"));
    {
        let site = site.clone();
        spawn_local(async move {
            let path = api::site_path(&site, "");
            if let Ok(s) = api::get::<lantern_shared::api::SiteSettings>(&path, Some(&site)).await {
                position.set(s.position);
            }
        });
    }
    let base = origin();
    let site_for_tag = site.clone();
    let tag = move || {
        let extra = if position.get() == "left" {
            " data-position=\"left\""
        } else {
            ""
        };
        format!(
            "<script src=\"{base}/widget/loader.js\" data-site=\"{site_for_tag}\"{extra} async></script>"
        )
    };
    let secret = RwSignal::new(None::<String>);
    let note = RwSignal::new(Note::None);
    let tag_copy = tag.clone();
    let rotate = move |_| {
        let site = site.clone();
        spawn_local(async move {
            let path = api::site_path(&site, "/identity-secret");
            match api::call::<_, IssuedSecret>(
                Method::POST,
                &path,
                Some(&site),
                &serde_json::json!({}),
            )
            .await
            {
                Ok(s) => secret.set(Some(s.secret)),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"Install"</h1>
            <p>"Paste this tag before </body> on every page that should show the chat:"</p>
            <pre class="code" tabindex="0" aria-label="Embed tag">{tag}</pre>
            <button type="button" on:click=move |_| ui::copy(tag_copy())>"Copy the tag"</button>
            <h2>"Identity verification"</h2>
            <p>"Signed-in users of your site can be verified: your server computes user_hash = HMAC-SHA256(secret, user_id) and passes both to the widget with Lantern.identify({user_id, user_hash})."</p>
            <button type="button" class="secondary" on:click=rotate>"Create a new identity secret"</button>
            <Show when=move || secret.get().is_some()>
                <p class="notice" role="status">"The secret, shown only this once (the previous one stops verifying):"</p>
                <pre class="code" tabindex="0">{move || secret.get()}</pre>
            </Show>
            <Status note=note/>
            <h3>"Node.js"</h3>
            <pre class="code" tabindex="0">"const userHash = require('crypto').createHmac('sha256', SECRET).update(userId).digest('hex');"</pre>
            <h3>"Python"</h3>
            <pre class="code" tabindex="0">"user_hash = hmac.new(SECRET.encode(), user_id.encode(), hashlib.sha256).hexdigest()"</pre>
            <h3>"PHP"</h3>
            <pre class="code" tabindex="0">"$userHash = hash_hmac('sha256', $userId, $secret);"</pre>
        </section>
    }
}
