//! One message in the list. Replies are shown from the server's sanitised
//! `html` only, never from their raw `content`; the visitor's own messages
//! are plain text. Files sent with a message follow it (see [`files`]).

use lantern_shared::api::{Attachment, Citation, Message, Rating, Role};
use leptos::prelude::*;

use crate::chat::Chat;
use crate::{hooks, icons};

/// Only web links become `href`s: a `javascript:` URL in a citation would
/// run in the host page.
fn web_url(c: &Citation) -> Option<String> {
    let url = c.url.as_deref()?;
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_string())
}

#[component]
pub fn Bubble(chat: Chat, m: Message) -> impl IntoView {
    let files = files(chat, &m.attachments);
    if m.role == Role::User {
        return view! {
            <div class="msg user"><p class="text" dir="auto">{m.content}</p><div prop:innerHTML=hooks::trusted(&files)></div></div>
        }
        .into_any();
    }
    let cites: Vec<_> = m
        .citations
        .iter()
        .filter_map(|c| Some((c.title.clone(), web_url(c)?)))
        .collect();
    let cites = (!cites.is_empty()).then(|| {
        view! {
            <ul class="cites" aria-label=chat.t().sources>
                {cites.into_iter().map(|(title, url)| view! {
                    <li><a href=url target="_blank" rel="noopener noreferrer">{title}</a></li>
                }).collect_view()}
            </ul>
        }
    });
    // The welcome (seq 1) is canned text: nothing to rate.
    let rate = (m.role == Role::Assistant && m.seq > 1)
        .then(|| view! { <Rate chat=chat id=m.id.clone()/> });
    let who = m.author.map(|a| view! { <b class="who">{a.name}</b> });
    view! {
        <div class=format!("msg {}", m.role.as_str())>
            {who}
            <div class="html" dir="auto" prop:innerHTML=hooks::trusted(&(m.html + &files))></div>
            {cites}
            {rate}
        </div>
    }
    .into_any()
}

/// `s` for HTML text and quoted attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('>', "&gt;")
}

/// A message's files: an image as its thumbnail, any other file as its
/// name and size. Each is a button: the files need the visitor's token
/// (an `<img src>` or a link could not send it), so `attach.js` fetches
/// the thumbnails (`data-src`) and, on a click, the file (`data-url`),
/// which an image opens in a tab and anything else downloads.
/// Markup (every value escaped) rather than a view: a Leptos view of its
/// own costs every visitor several KB of wasm, a string a few hundred bytes.
fn files(chat: Chat, list: &[Attachment]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"files\">");
    for a in list {
        let size = match a.size {
            n if n < 1024 => format!("{n} B"),
            n if n < 1 << 20 => format!("{} KB", n >> 10),
            n => format!("{}.{} MB", n >> 20, ((n & 0xfffff) * 10) >> 20),
        };
        let label = escape(&format!("{} ({size})", a.name));
        let inner = match &a.thumbnail_url {
            Some(t) => format!(
                "<img data-src=\"{}\" alt=\"{label}\">",
                escape(&chat.url(t))
            ),
            None => label.clone(),
        };
        out += &format!(
            "<button type=\"button\" class=\"file\" title=\"{label}\" data-url=\"{}\" data-name=\"{}\" data-type=\"{}\">{inner}</button>",
            escape(&chat.url(&a.url)),
            escape(&a.name),
            escape(&a.media_type)
        );
    }
    out + "</div>"
}

/// Thumbs up / down, with `aria-pressed` showing the visitor's choice.
#[component]
fn Rate(chat: Chat, id: String) -> impl IntoView {
    // An icon, not an emoji: many systems lack an emoji font.
    let button = move |rating: Rating, label: &'static str, class: &'static str| {
        let (a, b) = (id.clone(), id.clone());
        let pressed = move || {
            chat.ratings
                .with(|r| r.iter().any(|(i, x)| *i == a && *x == rating))
                .to_string()
        };
        view! {
            <button type="button" class=class aria-label=label title=label aria-pressed=pressed
                prop:innerHTML=hooks::trusted(icons::THUMB)
                on:click=move |_| chat.rate(b.clone(), rating)>
            </button>
        }
    };
    view! {
        <div class="rate">
            {button(Rating::Up, chat.t().helpful, "up")}
            {button(Rating::Down, chat.t().not_helpful, "down")}
        </div>
    }
}
