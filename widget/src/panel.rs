//! The chat panel: header, message log (a polite live region), notices and
//! the composer. Escape or minimise hands closing to the loader, which
//! returns focus to the launcher; opening moves focus into the message box.
//! Enter sends, Shift+Enter starts a new line; sending is blocked while a
//! message is on its way (the box stays editable so focus and typing are
//! never lost). Files: the attach button, pasting and dropping hand over to
//! `attach.js` (loaded by `app.js` the first time it is needed), which lists
//! the files to send above the form and uploads them; a message takes them
//! along (`hooks.files`).
//!
//! Drawn as markup once, then kept in step with the chat's signals by a few
//! effects, each changing only its part (see `dom.rs` for why not Leptos's
//! view layer). The panel's styles (`style.css`) are not in the wasm:
//! `app.js` carries them and the loader adopts them into the shadow root as
//! a constructed stylesheet, which a host page's `style-src` cannot block.

use std::cell::RefCell;
use std::rc::Rc;

use lantern_shared::api::{ConversationStatus, Rating};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlTextAreaElement, KeyboardEvent};

use crate::chat::{Chat, config};
use crate::dom::{self, Listener, escape};
use crate::i18n::is_rtl;
use crate::message::{markup, plain};
use crate::{hooks, icons};

/// A drawn panel: dropping it (after [`Drawn::remove`]) ends its effects
/// and listeners; the conversation lives on in the `Chat`.
pub struct Drawn {
    owner: Owner,
    section: Element,
    input: HtmlTextAreaElement,
    _listeners: Vec<Listener>,
}

impl Drawn {
    /// Moves focus into the message box (the visitor opened the panel; a
    /// page load that restores it open leaves focus where it is).
    pub fn focus(&self) {
        let input = self.input.clone();
        dom::frame(move || {
            let _ = input.focus();
        });
    }

    /// Takes the panel out of the page (before drawing it again).
    pub fn remove(self) {
        self.owner.cleanup();
        self.section.remove();
    }
}

fn close() {
    hooks::call("close", JsValue::UNDEFINED);
}

/// A header or composer button: `act` names what a click does.
fn button(class: &str, act: &str, label: &str, icon: &str) -> String {
    format!(
        "<button type=\"button\" class=\"{class}\" data-act=\"{act}\" aria-label=\"{label}\" title=\"{label}\">{icon}</button>"
    )
}

/// Draws the panel into `el` (inside the loader's shadow root).
pub fn draw(el: &Element, chat: Chat) -> Drawn {
    let t = chat.t();
    let lang = config(|c| c.lang.clone());
    let dir = if is_rtl(&lang) { "rtl" } else { "ltr" };
    dom::insert(
        el,
        "beforeend",
        &format!(
            "<section class=\"panel\" role=\"dialog\" aria-labelledby=\"lantern-title\" dir=\"{dir}\" lang=\"{}\" data-lantern-app=\"{}\" hidden>\
             <header class=\"head\"><h2 id=\"lantern-title\"></h2>{}{}{}</header>\
             <div class=\"log\" role=\"log\" aria-live=\"polite\" aria-label=\"{}\" tabindex=\"0\"></div>\
             <div class=\"bar\"></div><div class=\"bar\"></div><div class=\"bar\"></div>\
             <form class=\"composer\">{}<textarea rows=\"1\" aria-label=\"{}\" placeholder=\"{}\"></textarea>\
             <button type=\"submit\" class=\"send\" aria-label=\"{}\" title=\"{}\">{}</button></form></section>",
            escape(&lang),
            escape(&chat.site_id()),
            button("icon", "human", t.human, icons::HUMAN),
            button("icon", "new", t.new_chat, icons::NEW),
            button("icon", "min", t.minimise, icons::MINIMISE),
            t.messages,
            // Hidden by an effect (below) until the site's config says
            // it takes files; effects run before the panel is painted.
            button("icon attach", "attach", t.attach, icons::CLIP),
            t.input,
            t.placeholder,
            t.send,
            t.send,
            icons::SEND,
        ),
    );
    let section = el
        .last_element_child()
        .expect("the panel was just inserted");
    let find = |sel: &str| section.query_selector(sel).ok().flatten();
    let (title, log, send, attach) = (find("h2"), find(".log"), find(".send"), find(".attach"));
    let input: HtmlTextAreaElement = find("textarea").expect("drawn above").unchecked_into();
    let bars = section.query_selector_all(".bar").expect("drawn above");
    let bar = |i| bars.item(i).map(JsCast::unchecked_into::<Element>);

    let owner = Owner::new();
    owner.with(|| {
        let panel = section.clone();
        Effect::new(move |_| {
            let _ = panel.toggle_attribute_with_force("hidden", !chat.open.get());
        });
        if let (Some(title), Some(attach)) = (title, attach) {
            Effect::new(move |_| {
                let (name, files) = chat.site.with(|s| {
                    s.as_ref()
                        .map(|s| (s.bot_name.clone(), s.attachments_enabled))
                        .unwrap_or_else(|| (t.chat.into(), false))
                });
                title.set_text_content(Some(&name));
                let _ = attach.toggle_attribute_with_force("hidden", !files);
            });
        }
        if let Some(log) = log {
            let log = Rc::new(RefCell::new(Log::new(log)));
            Effect::new(move |_| log.borrow_mut().render(chat));
        }
        if let Some(send) = send {
            Effect::new(move |_| {
                let _ = send.toggle_attribute_with_force("disabled", chat.sending.get());
            });
        }
        // The three bars under the log, each redrawn only when its own
        // markup changes (the email field keeps what is typed in it).
        let bar_effect = |el: Option<Element>, f: fn(Chat) -> String| {
            if let Some(el) = el {
                Effect::new(move |before: Option<String>| {
                    let now = f(chat);
                    if before.as_ref() != Some(&now) {
                        dom::set_html(&el, &now);
                    }
                    now
                });
            }
        };
        bar_effect(bar(0), |chat| {
            if chat.status.get() == Some(ConversationStatus::Handoff) {
                format!("<p class=\"note\" role=\"status\">{}</p>", chat.t().handoff_done)
            } else {
                String::new()
            }
        });
        bar_effect(bar(1), |chat| {
            let t = chat.t();
            match chat.away.get() {
                1 => format!(
                    "<form class=\"away\"><p>{}</p><input type=\"email\" required aria-label=\"{}\" placeholder=\"{}\"><button type=\"submit\">{}</button></form>",
                    t.nobody, t.email, t.email, t.leave
                ),
                2 => format!("<p class=\"note\" role=\"status\">{}</p>", t.thanks),
                _ => String::new(),
            }
        });
        bar_effect(bar(2), |chat| {
            chat.notice.get().map_or_else(String::new, |n| {
                format!(
                    "<div class=\"notice\" role=\"alert\"><span>{}</span><button type=\"button\" data-act=\"retry\">{}</button></div>",
                    escape(&n),
                    chat.t().retry
                )
            })
        });
    });

    let listeners = listen(&section, chat, input.clone());
    Drawn {
        owner,
        section,
        input,
        _listeners: listeners,
    }
}

/// One listener per kind of event, for the whole panel.
fn listen(section: &Element, chat: Chat, input: HtmlTextAreaElement) -> Vec<Listener> {
    let send = move |input: &HtmlTextAreaElement| {
        if chat.sending.get_untracked() {
            return;
        }
        // A promise of the uploaded files' ids, or `undefined` when no file
        // waits to go.
        let files = hooks::call2("files", &JsValue::UNDEFINED, &JsValue::UNDEFINED);
        let text = input.value();
        if !text.trim().is_empty() || !files.is_undefined() {
            chat.submit(text, files);
            input.set_value("");
        }
    };
    let field = input.clone();
    vec![
        dom::on(section, "click", move |ev| {
            let Some(b) = dom::target(&ev).and_then(|t| t.closest("[data-act]").ok().flatten())
            else {
                return;
            };
            let id = b.get_attribute("data-id").unwrap_or_default();
            match b.get_attribute("data-act").as_deref() {
                Some("human") => chat.handoff(),
                Some("new") => chat.new_conversation(),
                Some("min") => close(),
                Some("attach") => hooks::call("attach", JsValue::UNDEFINED),
                Some("retry") => chat.retry(),
                Some("up") => chat.rate(id, Rating::Up),
                Some("down") => chat.rate(id, Rating::Down),
                _ => {}
            }
        }),
        dom::on(section, "keydown", move |ev| {
            let key: &KeyboardEvent = ev.unchecked_ref();
            if key.key() == "Escape" {
                ev.stop_propagation();
                close();
            } else if key.key() == "Enter"
                && !key.shift_key()
                && !key.is_composing()
                && dom::target(&ev).is_some_and(|t| t.tag_name() == "TEXTAREA")
            {
                ev.prevent_default();
                send(&field);
            }
        }),
        dom::on(section, "submit", move |ev| {
            ev.prevent_default();
            let Some(form) = dom::target(&ev) else { return };
            if form.class_name() == "away" {
                if let Some(email) = form.query_selector("input").ok().flatten() {
                    let email: web_sys::HtmlInputElement = email.unchecked_into();
                    chat.leave_contact(email.value());
                }
            } else {
                send(&input);
            }
        }),
        dom::on(section, "input", move |ev| {
            if let Some(t) = dom::target(&ev).filter(|t| t.tag_name() == "TEXTAREA") {
                chat.typed(t.unchecked_into::<HtmlTextAreaElement>().value());
            }
        }),
    ]
}

/// The log's nodes, in order: the welcome (while nothing is said yet), the
/// stored messages by `seq` (kept once drawn: appending one does not redraw
/// the others, so the live region announces only what is new), then the
/// tail: unconfirmed messages, replies being written, "typing".
struct Log {
    el: Element,
    welcome: Option<String>,
    /// Ids and seqs of the message nodes, in order.
    shown: Vec<(String, i64)>,
    tail: String,
    tail_nodes: u32,
}

impl Log {
    fn new(el: Element) -> Self {
        Log {
            el,
            welcome: None,
            shown: Vec::new(),
            tail: String::new(),
            tail_nodes: 0,
        }
    }

    fn render(&mut self, chat: Chat) {
        let kids = self.el.children();
        // Whether a node came or went (then the newest is scrolled to).
        let mut changed = false;
        // The welcome.
        let welcome = chat
            .site
            .with(|s| s.as_ref().map(|s| s.welcome_message.clone()))
            .filter(|_| chat.messages.with(Vec::is_empty));
        if welcome != self.welcome {
            if self.welcome.is_some()
                && let Some(old) = kids.item(0)
            {
                old.remove();
            }
            if let Some(w) = &welcome {
                dom::insert(&self.el, "afterbegin", &plain("msg assistant", w));
            }
            self.welcome = welcome;
            changed = true;
        }
        let base = u32::from(self.welcome.is_some());
        // Stored messages: drop those gone (another conversation), add the new.
        chat.messages.with(|all| {
            for i in (0..self.shown.len()).rev() {
                if !all.iter().any(|m| m.id == self.shown[i].0) {
                    if let Some(old) = kids.item(base + i as u32) {
                        old.remove();
                    }
                    self.shown.remove(i);
                    changed = true;
                }
            }
            for m in all {
                if self.shown.iter().any(|(id, _)| *id == m.id) {
                    continue;
                }
                let at = self.shown.partition_point(|(_, seq)| *seq < m.seq);
                match kids.item(base + at as u32) {
                    Some(next) => dom::insert(&next, "beforebegin", &markup(chat, m)),
                    None => dom::insert(&self.el, "beforeend", &markup(chat, m)),
                }
                self.shown.insert(at, (m.id.clone(), m.seq));
                changed = true;
            }
        });
        // The tail, redrawn whole (its nodes are few and short-lived).
        let tail = tail(chat);
        if tail != self.tail {
            for _ in 0..self.tail_nodes {
                if let Some(last) = self.el.last_element_child() {
                    last.remove();
                }
            }
            dom::insert(&self.el, "beforeend", &tail);
            self.tail_nodes = kids.length() - base - self.shown.len() as u32;
            self.tail = tail;
            changed = true;
        }
        // The visitor's ratings.
        chat.ratings.with(|r| {
            let Ok(buttons) = self.el.query_selector_all("[data-id]") else {
                return;
            };
            for i in 0..buttons.length() {
                let Some(b) = buttons.item(i).map(JsCast::unchecked_into::<Element>) else {
                    continue;
                };
                let (id, act) = (b.get_attribute("data-id"), b.get_attribute("data-act"));
                let pressed = r
                    .iter()
                    .any(|(i, x)| Some(i) == id.as_ref() && Some(x.as_str()) == act.as_deref());
                let _ = b.set_attribute("aria-pressed", if pressed { "true" } else { "false" });
            }
        });
        // Keep the newest message in view (not when a rating changed).
        if changed {
            let el = self.el.clone();
            dom::frame(move || el.set_scroll_top(el.scroll_height()));
        }
    }
}

/// Markup of the log's tail.
fn tail(chat: Chat) -> String {
    let mut out = String::new();
    chat.pending.with(|p| {
        for p in p {
            let class = if p.failed {
                "msg user failed"
            } else {
                "msg user"
            };
            // Files alone: their thumbnails come with the stored message.
            out += &plain(
                class,
                if p.content.is_empty() {
                    "…"
                } else {
                    &p.content
                },
            );
        }
    });
    let writing = chat.drafts.with(|d| {
        for d in d {
            out += &plain("msg assistant", &d.text());
        }
        !d.is_empty()
    });
    if (chat.sending.get() && !writing) || chat.agent_typing.get() {
        out += &format!(
            "<div class=\"typing\" role=\"status\" aria-label=\"{}\"><i></i><i></i><i></i></div>",
            chat.t().typing
        );
    }
    out
}
