//! One message of the list, as markup. Replies are shown from the server's
//! sanitised `html` only, never from their raw `content`; the visitor's own
//! messages and every other value are escaped text. Files sent with a
//! message follow it (see [`files`]).

use lantern_shared::api::{Attachment, Citation, Message, Rating, Role};

use crate::chat::Chat;
use crate::dom::escape;
use crate::icons;

/// Only web links become `href`s: a `javascript:` URL in a citation would
/// run in the host page.
fn web_url(c: &Citation) -> Option<String> {
    let url = c.url.as_deref()?;
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_string())
}

/// A plain-text bubble: the welcome, unconfirmed messages, replies being
/// written (none of them has the server's html yet).
pub fn plain(class: &str, text: &str) -> String {
    format!(
        "<div class=\"{class}\"><p class=\"text\" dir=\"auto\">{}</p></div>",
        escape(text)
    )
}

/// A stored message. Its rating buttons carry `data-act` and `data-id` for
/// the panel's one click listener; whether they are pressed is set by the
/// panel (it changes after the message is drawn).
pub fn markup(chat: Chat, m: &Message) -> String {
    let files = files(chat, &m.attachments);
    if m.role == Role::User {
        return format!(
            "<div class=\"msg user\"><p class=\"text\" dir=\"auto\">{}</p><div>{files}</div></div>",
            escape(&m.content)
        );
    }
    let t = chat.t();
    let mut out = format!("<div class=\"msg {}\">", m.role.as_str());
    if let Some(a) = &m.author {
        out += &format!("<b class=\"who\">{}</b>", escape(&a.name));
    }
    out += &format!("<div class=\"html\" dir=\"auto\">{}{files}</div>", m.html);
    let cites: String = m
        .citations
        .iter()
        .filter_map(|c| {
            Some(format!(
                "<li><a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a></li>",
                escape(&web_url(c)?),
                escape(&c.title)
            ))
        })
        .collect();
    if !cites.is_empty() {
        out += &format!(
            "<ul class=\"cites\" aria-label=\"{}\">{cites}</ul>",
            t.sources
        );
    }
    // The welcome (seq 1) is canned text: nothing to rate.
    if m.role == Role::Assistant && m.seq > 1 {
        let id = escape(&m.id);
        out += "<div class=\"rate\">";
        for (rating, label) in [(Rating::Up, t.helpful), (Rating::Down, t.not_helpful)] {
            // An icon, not an emoji: many systems lack an emoji font.
            out += &format!(
                "<button type=\"button\" class=\"{r}\" data-act=\"{r}\" data-id=\"{id}\" aria-label=\"{label}\" title=\"{label}\" aria-pressed=\"false\">{}</button>",
                icons::THUMB,
                r = rating.as_str(),
            );
        }
        out += "</div>";
    }
    out + "</div>"
}

/// A message's files: an image as its thumbnail, any other file as its
/// name and size. Each is a button: the files need the visitor's token
/// (an `<img src>` or a link could not send it), so `attach.js` fetches
/// the thumbnails (`data-src`) and, on a click, the file (`data-url`),
/// which an image opens in a tab and anything else downloads.
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
