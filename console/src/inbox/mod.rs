//! The inbox: the site's conversations in lists (Needs a human, Mine,
//! Unassigned, All open, Closed) with counts and unread marks, a search
//! over message text, the open conversation with its composer, and the
//! keys j/k/Enter/r/n/e/?. One site stream keeps everything live
//! ([`live`]); the tab title counts what is unread.

mod compose;
mod list;
mod live;
mod snooze;
mod thread;
mod visitor;

use gloo_net::http::Method;
use lantern_shared::{
    api::{Conversation, ConversationStatus, Message, Page as ListPage},
    inbox::{CannedResponse, CannedResponseList},
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::{api, ctx};

/// The lists of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Waiting,
    Mine,
    Unassigned,
    Open,
    Closed,
}

impl List {
    pub const ALL: [List; 5] = [
        List::Waiting,
        List::Mine,
        List::Unassigned,
        List::Open,
        List::Closed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            List::Waiting => "Needs a human",
            List::Mine => "Mine",
            List::Unassigned => "Unassigned",
            List::Open => "All open",
            List::Closed => "Closed",
        }
    }
}

/// Whether the composer writes to the visitor or a note for the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Reply,
    Note,
}

/// The inbox's state; `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
pub struct Inbox {
    pub site: StoredValue<String>,
    /// The signed-in member's id.
    pub me: StoredValue<String>,
    pub convs: RwSignal<Vec<Conversation>>,
    pub list: RwSignal<List>,
    /// Search results (`None`: no search).
    pub found: RwSignal<Option<Vec<Conversation>>>,
    /// The highlighted row (moved by j/k).
    pub cursor: RwSignal<Option<String>>,
    /// The conversation shown.
    pub open: RwSignal<Option<String>>,
    pub messages: RwSignal<Vec<Message>>,
    /// The conversation whose visitor is typing.
    pub typing: RwSignal<Option<String>>,
    /// What that visitor has typed so far (sites with `typing_preview` on).
    pub typing_draft: RwSignal<Option<String>>,
    pub mode: RwSignal<Mode>,
    pub draft: RwSignal<String>,
    pub help: RwSignal<bool>,
    pub canned: RwSignal<Vec<CannedResponse>>,
    pub online: RwSignal<Vec<String>>,
    pub error: RwSignal<Option<String>>,
    /// Now, in ms since the epoch (ticks, for waiting times).
    pub now: RwSignal<f64>,
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Milliseconds since the epoch of an RFC 3339 time.
pub fn time_ms(t: &str) -> f64 {
    js_sys::Date::parse(t)
}

impl Inbox {
    fn is_snoozed(&self, c: &Conversation) -> bool {
        c.snoozed_until
            .as_deref()
            .is_some_and(|t| time_ms(t) > self.now.get())
    }

    /// Whether `c` belongs in `list`.
    pub fn fits(&self, list: List, c: &Conversation) -> bool {
        let me = self.me.get_value();
        let closed = c.status == ConversationStatus::Closed;
        match list {
            List::Waiting => c.status == ConversationStatus::Handoff && !self.is_snoozed(c),
            List::Mine => !closed && c.assignee_id.as_deref() == Some(me.as_str()),
            List::Unassigned => !closed && c.assignee_id.is_none() && !self.is_snoozed(c),
            List::Open => !closed,
            List::Closed => closed,
        }
    }

    /// The rows shown: the search results, or the chosen list (oldest wait
    /// first for "Needs a human", newest first otherwise).
    pub fn rows(&self) -> Vec<Conversation> {
        if let Some(found) = self.found.get() {
            return found;
        }
        let list = self.list.get();
        let mut rows: Vec<Conversation> = self
            .convs
            .get()
            .into_iter()
            .filter(|c| self.fits(list, c))
            .collect();
        if list == List::Waiting {
            let key = |c: &Conversation| c.waiting_since.as_deref().map_or(f64::MAX, time_ms);
            rows.sort_by(|a, b| key(a).total_cmp(&key(b)));
        }
        rows
    }

    pub fn count(&self, list: List) -> usize {
        self.convs
            .with(|all| all.iter().filter(|c| self.fits(list, c)).count())
    }

    /// Adds or replaces a conversation, keeping our unread count (the
    /// stream's copy has none).
    pub fn upsert(&self, mut c: Conversation) {
        self.convs
            .update(|all| match all.iter_mut().find(|x| x.id == c.id) {
                Some(old) => {
                    c.unread = old.unread;
                    *old = c;
                }
                None => all.insert(0, c),
            });
    }

    pub fn conv(&self, id: &str) -> Option<Conversation> {
        self.convs
            .with(|all| all.iter().find(|c| c.id == id).cloned())
    }

    /// Loads the newest conversations (and the canned responses).
    pub fn reload(self) {
        spawn_local(async move {
            let s = self.site.get_value();
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            // Up to 500 conversations: the inbox's working set.
            for _ in 0..5 {
                let path = match &cursor {
                    Some(c) => format!("/api/v1/conversations?limit=100&cursor={c}"),
                    None => "/api/v1/conversations?limit=100".to_string(),
                };
                match api::get::<ListPage<Conversation>>(&path, Some(&s)).await {
                    Ok(page) => {
                        all.extend(page.items);
                        cursor = page.next_cursor;
                    }
                    Err(e) => {
                        self.error.set(Some(e.message));
                        return;
                    }
                }
                if cursor.is_none() {
                    break;
                }
            }
            self.convs.set(all);
            if let Ok(l) =
                api::get::<CannedResponseList>(&api::site_path(&s, "/canned-responses"), Some(&s))
                    .await
            {
                self.canned.set(l.items);
            }
        });
    }

    /// Searches message text (an empty query ends the search).
    pub fn search(self, q: String) {
        if q.trim().is_empty() {
            self.found.set(None);
            return;
        }
        spawn_local(async move {
            let s = self.site.get_value();
            let path = format!(
                "/api/v1/conversations?limit=100&q={}",
                String::from(js_sys::encode_uri_component(q.trim()))
            );
            match api::get::<ListPage<Conversation>>(&path, Some(&s)).await {
                Ok(page) => self.found.set(Some(page.items)),
                Err(e) => self.error.set(Some(e.message)),
            }
        });
    }

    /// A conversation action (`assign`, `close`, …) whose answer is the
    /// conversation.
    pub fn act(self, id: String, action: &'static str, body: serde_json::Value) {
        spawn_local(async move {
            let s = self.site.get_value();
            let path = format!("/api/v1/conversations/{id}/{action}");
            match api::call::<_, Conversation>(Method::POST, &path, Some(&s), &body).await {
                Ok(c) => self.upsert(c),
                Err(e) => self.error.set(Some(e.message)),
            }
        });
    }

    /// Moves the highlight by `step` rows.
    fn step(self, step: i32) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let at = self
            .cursor
            .get_untracked()
            .and_then(|id| rows.iter().position(|c| c.id == id));
        let next = match at {
            None => 0,
            Some(i) => (i as i32 + step).clamp(0, rows.len() as i32 - 1) as usize,
        };
        self.cursor.set(Some(rows[next].id.clone()));
        scroll_to_cursor();
    }

    /// Closes the open conversation and opens the next one of the list.
    fn close_and_next(self) {
        let Some(id) = self.open.get_untracked() else {
            return;
        };
        let rows = self.rows();
        let next = rows
            .iter()
            .position(|c| c.id == id)
            .and_then(|i| {
                rows.get(i + 1)
                    .or_else(|| i.checked_sub(1).and_then(|j| rows.get(j)))
            })
            .map(|c| c.id.clone());
        self.act(id, "close", serde_json::json!({}));
        if let Some(next) = next {
            self.cursor.set(Some(next.clone()));
            thread::open(self, next);
        }
    }
}

fn scroll_to_cursor() {
    request_animation_frame(|| {
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
            d.query_selector(".rows [aria-selected=true]")
                .ok()
                .flatten()
        }) {
            el.scroll_into_view_with_bool(false);
        }
    });
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let ctx = ctx();
    let me = ctx
        .me
        .with_untracked(|m| m.as_ref().map(|m| m.user.id.clone()))
        .unwrap_or_default();
    let inbox = Inbox {
        site: StoredValue::new(ctx.site_id()),
        me: StoredValue::new(me),
        convs: RwSignal::new(Vec::new()),
        list: RwSignal::new(List::Waiting),
        found: RwSignal::new(None),
        cursor: RwSignal::new(None),
        open: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        typing: RwSignal::new(None),
        typing_draft: RwSignal::new(None),
        mode: RwSignal::new(Mode::Reply),
        draft: RwSignal::new(String::new()),
        help: RwSignal::new(false),
        canned: RwSignal::new(Vec::new()),
        online: RwSignal::new(Vec::new()),
        error: RwSignal::new(None),
        now: RwSignal::new(now_ms()),
    };
    provide_context(inbox);
    inbox.reload();
    live::follow(inbox);
    live::title(inbox);
    // Waiting times move on.
    let tick = set_interval_with_handle(
        move || inbox.now.set(now_ms()),
        std::time::Duration::from_secs(30),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev| on_key(inbox, ev));
    on_cleanup(move || keys.remove());

    view! {
        <section class="inbox" aria-label="Inbox">
            <div class="inbox-head">
                <h1>"Inbox"</h1>
                <span class="hint">{move || match inbox.online.with(Vec::len) {
                    0 | 1 => "You are the only one online".to_string(),
                    n => format!("{n} members online"),
                }}</span>
                <live::NotifyButton/>
                <button type="button" class="secondary" on:click=move |_| inbox.help.update(|h| *h = !*h)
                    aria-expanded=move || inbox.help.get().to_string()>"Keys (?)"</button>
            </div>
            {move || inbox.help.get().then(|| view! {
                <div class="card keys" role="note" aria-label="Keyboard shortcuts">
                    <p><kbd>"j"</kbd>" / "<kbd>"k"</kbd>" next / previous · "<kbd>"Enter"</kbd>" open · "
                       <kbd>"r"</kbd>" reply · "<kbd>"n"</kbd>" private note · "<kbd>"e"</kbd>" close and open the next · "
                       <kbd>"?"</kbd>" these keys · "<kbd>"Esc"</kbd>" leave the composer · "
                       <kbd>"/shortcut"</kbd>" a canned response"</p>
                </div>
            })}
            {move || inbox.error.get().map(|e| view! { <p class="err" role="alert">{e}</p> })}
            <div class="inbox-grid">
                <list::Lists/>
                <thread::Thread/>
            </div>
        </section>
    }
}

/// The inbox's keys, except while typing in a field.
fn on_key(inbox: Inbox, ev: web_sys::KeyboardEvent) {
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let in_field = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if in_field {
        if ev.key() == "Escape"
            && let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.blur();
        }
        return;
    }
    let handled = match ev.key().as_str() {
        "j" => {
            inbox.step(1);
            true
        }
        "k" => {
            inbox.step(-1);
            true
        }
        "Enter" => match inbox.cursor.get_untracked() {
            Some(id) => {
                thread::open(inbox, id);
                true
            }
            None => false,
        },
        "r" => {
            inbox.mode.set(Mode::Reply);
            compose::focus();
            true
        }
        "n" => {
            inbox.mode.set(Mode::Note);
            compose::focus();
            true
        }
        "e" => {
            inbox.close_and_next();
            true
        }
        "?" => {
            inbox.help.update(|h| *h = !*h);
            true
        }
        _ => false,
    };
    if handled {
        ev.prevent_default();
    }
}
