//! Site settings with a live preview: the real widget, loaded by its own
//! loader in a frame, follows the form's colour and position as they change.

use gloo_net::http::Method;
use lantern_shared::api::{SiteSettings, UpdateSite};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{
    api, ctx,
    ui::{Note, Status},
};

fn lines(s: &str, sep: char) -> Vec<String> {
    s.split(sep)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `tag: text` lines as a map; lines without a colon are ignored.
fn by_language(s: &str) -> std::collections::BTreeMap<String, String> {
    s.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(tag, text)| (tag.trim().to_string(), text.trim().to_string()))
        .filter(|(tag, _)| !tag.is_empty())
        .collect()
}

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

#[component]
pub fn Settings() -> impl IntoView {
    let ctx = ctx();
    let site = ctx.site_id();
    let name = RwSignal::new(String::new());
    let bot_name = RwSignal::new(String::new());
    let welcome = RwSignal::new(String::new());
    // Other languages' welcomes, one `tag: text` per line.
    let welcomes = RwSignal::new(String::new());
    let languages = RwSignal::new(String::new());
    let color = RwSignal::new(String::from("#2563eb"));
    let position = RwSignal::new(String::from("right"));
    let origins = RwSignal::new(String::new());
    let identity = RwSignal::new(false);
    let secret_set = RwSignal::new(false);
    let draft_preview = RwSignal::new(false);
    let note = RwSignal::new(Note::None);
    let version = RwSignal::new(0u32);
    let fill = move |s: SiteSettings| {
        name.set(s.name);
        bot_name.set(s.bot_name);
        welcome.set(s.welcome_message);
        welcomes.set(
            s.welcome_messages
                .iter()
                .map(|(tag, text)| format!("{tag}: {text}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        position.set(s.position);
        languages.set(s.languages.join(", "));
        color.set(s.theme.color);
        origins.set(s.allowed_origins.join("\n"));
        identity.set(s.identity_required);
        secret_set.set(s.identity_secret_set);
        draft_preview.set(s.typing_preview);
    };
    let path = api::site_path(&site, "");
    {
        let (path, site) = (path.clone(), site.clone());
        spawn_local(async move {
            match api::get::<SiteSettings>(&path, Some(&site)).await {
                Ok(s) => fill(s),
                Err(e) => note.set(Note::Err(e.message)),
            }
        });
    }
    let save = {
        let (path, site) = (path.clone(), site.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = UpdateSite {
                name: Some(name.get_untracked()),
                bot_name: Some(bot_name.get_untracked()),
                welcome_message: Some(welcome.get_untracked()),
                welcome_messages: Some(by_language(&welcomes.get_untracked())),
                position: Some(position.get_untracked()),
                languages: Some(lines(&languages.get_untracked(), ',')),
                theme_color: Some(color.get_untracked()),
                allowed_origins: Some(lines(&origins.get_untracked(), '\n')),
                identity_required: Some(identity.get_untracked()),
                answer_threshold: None,
                typing_preview: Some(draft_preview.get_untracked()),
                ..Default::default()
            };
            let (path, site) = (path.clone(), site.clone());
            spawn_local(async move {
                match api::call::<_, SiteSettings>(Method::PATCH, &path, Some(&site), &body).await {
                    Ok(s) => {
                        fill(s);
                        version.update(|v| *v += 1);
                        note.set(Note::Ok(
                            "Saved. Visitors see the new settings within a minute.".into(),
                        ));
                    }
                    Err(e) => note.set(Note::Err(e.message)),
                }
            });
        }
    };
    let preview = {
        let site = site.clone();
        move || {
            let lang = languages
                .with(|l| lines(l, ',').into_iter().next())
                .unwrap_or_else(|| "en".into());
            format!(
                "/console/preview.html?site={}&color={}&position={}&lang={}&v={}",
                encode(&site),
                encode(&color.get()),
                encode(&position.get()),
                encode(&lang),
                version.get()
            )
        }
    };
    view! {
        <div class="split">
            <section class="card">
                <h1>"Settings"</h1>
                <form on:submit=save>
                    <label>"Site name" <input type="text" required maxlength="100" bind:value=name/></label>
                    <label>"Bot name" <input type="text" required maxlength="60" bind:value=bot_name/></label>
                    <label>"Welcome message" <textarea rows="3" maxlength="1000" bind:value=welcome></textarea></label>
                    <label>"Welcome in other languages" <textarea rows="3" aria-describedby="welcome-hint" bind:value=welcomes></textarea></label>
                    <p class="hint" id="welcome-hint">"One per line, the language tag first: ar: مرحبًا! كيف أساعدك؟ — visitors in other languages get the message above."</p>
                    <label>"Languages" <input type="text" aria-describedby="lang-hint" bind:value=languages/></label>
                    <p class="hint" id="lang-hint">"Language tags, comma-separated, the default first: en, fr, ar"</p>
                    <div class="row">
                        <label>"Theme colour" <input type="color" name="theme_color" bind:value=color/></label>
                        <label>"Hex" <input type="text" name="theme_color_hex" pattern="#[0-9a-fA-F]{6}" size="8" bind:value=color/></label>
                        <label>"Position"
                            <select name="position" prop:value=move || position.get() on:change=move |ev| position.set(event_target_value(&ev))>
                                <option value="right">"Right"</option>
                                <option value="left">"Left"</option>
                            </select>
                        </label>
                    </div>
                    <label>"Allowed origins" <textarea rows="3" aria-describedby="origin-hint" bind:value=origins></textarea></label>
                    <p class="hint" id="origin-hint">"One per line, such as https://www.example.com: the pages that may embed the widget."</p>
                    <label class="check">
                        <input type="checkbox" bind:checked=identity disabled=move || !secret_set.get()/>
                        "Require identity verification"
                    </label>
                    <Show when=move || !secret_set.get()>
                        <p class="hint">"Create an identity secret on the Install page first."</p>
                    </Show>
                    <label class="check">
                        <input type="checkbox" name="typing_preview" bind:checked=draft_preview aria-describedby="draft-hint"/>
                        "Show agents what the visitor is typing"
                    </label>
                    <p class="hint" id="draft-hint">"Agents see the visitor's unsent text (up to 200 characters) under the typing indicator. Tell your visitors if you turn this on."</p>
                    <button type="submit">"Save"</button>
                </form>
                <Status note=note/>
            </section>
            <section class="card preview" aria-label="Live preview">
                <h2>"Preview"</h2>
                <iframe title="Widget preview" src=preview></iframe>
            </section>
        </div>
    }
}
