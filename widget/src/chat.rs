//! The conversation's state (signals the view reads) and how events change
//! it. Events may arrive twice — from the streamed POST and from the live
//! stream, or again after a reconnect — so every change is idempotent:
//! messages are unique by id and kept in `seq` order, answer pieces are
//! unique by their index.

use lantern_shared::api::{ConversationStatus, Message, Rating, Role, SiteConfig};
use lantern_shared::event::{AnswerDelta, StatusChanged, kind};
use std::cell::RefCell;

use leptos::prelude::*;

use crate::config::MountConfig;
use crate::i18n::{Strings, strings};
use crate::{hooks, sse};

/// A message the visitor sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub client_id: String,
    pub content: String,
    /// Ids of the uploaded files it carries (kept for a retry).
    pub files: Vec<String>,
    pub failed: bool,
}

/// A reply being streamed: its pieces by index (sorted, unique).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub reply_to: i64,
    pub parts: Vec<(u32, String)>,
}

impl Draft {
    pub fn text(&self) -> String {
        self.parts.iter().map(|(_, t)| t.as_str()).collect()
    }

    /// Adds a piece unless it is already there (a resumed stream repeats).
    fn insert(&mut self, index: u32, text: String) {
        if let Err(at) = self.parts.binary_search_by_key(&index, |(i, _)| *i) {
            self.parts.insert(at, (index, text));
        }
    }
}

/// Non-reactive session data.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub token: Option<String>,
    pub conv: Option<String>,
    /// A boot or conversation creation is under way.
    pub busy: bool,
    /// Bumped to stop the current live-events loop.
    pub live_gen: u32,
    pub last_event: Option<String>,
    /// This tab holds the site's one live events stream (`widget/app.js`
    /// elects one tab per site; the others get its events relayed).
    pub leader: bool,
}

thread_local! {
    // One widget per page: the embed's settings and the session live here
    // rather than in reactive storage, which costs code per access.
    static CONFIG: RefCell<MountConfig> = RefCell::new(MountConfig::default());
    static SESSION: RefCell<Session> = RefCell::new(Session::default());
}

/// Reads or changes the embed's settings.
pub fn config<R>(f: impl FnOnce(&mut MountConfig) -> R) -> R {
    CONFIG.with(|c| f(&mut c.borrow_mut()))
}

/// Reads or changes the session.
pub fn session<R>(f: impl FnOnce(&mut Session) -> R) -> R {
    SESSION.with(|s| f(&mut s.borrow_mut()))
}

/// Everything the panel shows; `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
pub struct Chat {
    pub site: RwSignal<Option<SiteConfig>>,
    pub messages: RwSignal<Vec<Message>>,
    pub pending: RwSignal<Vec<Pending>>,
    /// Replies being streamed.
    pub drafts: RwSignal<Vec<Draft>>,
    pub sending: RwSignal<bool>,
    pub ready: RwSignal<bool>,
    pub notice: RwSignal<Option<String>>,
    pub status: RwSignal<Option<ConversationStatus>>,
    pub open: RwSignal<bool>,
    pub unread: RwSignal<u32>,
    pub ratings: RwSignal<Vec<(String, Rating)>>,
    /// A member is typing a reply.
    pub agent_typing: RwSignal<bool>,
    /// After a hand-over with nobody online: 1 asks for an email, 2 thanks.
    pub away: RwSignal<u8>,
}

impl Chat {
    pub fn new(cfg: MountConfig) -> Self {
        let chat = Chat {
            open: RwSignal::new(cfg.open),
            site: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            drafts: RwSignal::new(Vec::new()),
            sending: RwSignal::new(false),
            ready: RwSignal::new(false),
            notice: RwSignal::new(None),
            status: RwSignal::new(None),
            unread: RwSignal::new(0),
            ratings: RwSignal::new(Vec::new()),
            agent_typing: RwSignal::new(false),
            away: RwSignal::new(0),
        };
        config(|c| *c = cfg);
        chat
    }

    /// The UI strings in the current language.
    pub fn t(&self) -> &'static Strings {
        config(|c| strings(&c.lang))
    }

    /// `Lantern.setLanguage(tag)`: the panel's strings and direction (once
    /// drawn again), and the language of conversations started from now on.
    pub fn set_language(self, tag: String) {
        config(|c| c.lang = tag);
    }

    /// The site id.
    pub fn site_id(&self) -> String {
        config(|c| c.site.clone())
    }

    /// An API URL: the loader's origin + `path`.
    pub fn url(&self, path: &str) -> String {
        config(|c| format!("{}{}", c.api, path))
    }

    pub fn conv(&self) -> Option<String> {
        session(|s| s.conv.clone())
    }

    /// Applies one SSE event from either stream.
    pub fn apply(self, ev: &sse::Event) {
        match ev.event.as_str() {
            kind::MESSAGE_CREATED => {
                if let Ok(m) = crate::codec::decode::<Message>(&ev.data).ok_or(()) {
                    self.add(m, true);
                }
            }
            kind::ANSWER_DELTA => {
                if let Ok(d) = crate::codec::decode::<AnswerDelta>(&ev.data).ok_or(()) {
                    self.delta(d);
                }
            }
            kind::STATUS_CHANGED => {
                if let Ok(s) = crate::codec::decode::<StatusChanged>(&ev.data).ok_or(())
                    && Some(&s.conversation_id) == self.conv().as_ref()
                {
                    self.status.set(Some(s.status));
                }
            }
            // `{conversation_id, from: "agent", typing}`; read without a
            // decoder of its own (weight).
            kind::TYPING => {
                let v = crate::json::Json::parse(&ev.data).unwrap_or(crate::json::Json::Null);
                if v.get("from").str() == Some("agent") {
                    let on = matches!(v.get("typing"), crate::json::Json::Bool(true));
                    self.agent_typing.set(on);
                    // A member who stops typing without sending says so
                    // only by going quiet (they re-send every 3 s).
                    if on {
                        leptos::task::spawn_local(async move {
                            crate::http::sleep(8_000).await;
                            self.agent_typing.set(false);
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds a stored message unless already shown. `live`: it arrived now
    /// (not from history): the host page's `message` listeners hear of it,
    /// and a reply counts as unread while the panel is closed.
    pub fn add(self, m: Message, live: bool) {
        if Some(&m.conversation_id) != self.conv().as_ref() {
            return; // a late event of a conversation the visitor left
        }
        if let Some(cid) = &m.client_message_id {
            let mut was_failed = false;
            self.pending.update(|p| {
                p.retain(|x| {
                    let confirmed = &x.client_id == cid;
                    was_failed |= confirmed && x.failed;
                    !confirmed
                })
            });
            // A send cut off before its answer looked failed, but the server
            // has the message: the notice about it no longer holds.
            if was_failed && self.pending.with_untracked(|p| !p.iter().any(|x| x.failed)) {
                self.notice.set(None);
            }
        }
        if self
            .messages
            .with_untracked(|v| v.iter().any(|x| x.id == m.id))
        {
            return;
        }
        let replies = matches!(m.role, Role::Assistant | Role::Agent);
        if m.role == Role::Agent {
            self.agent_typing.set(false);
        }
        let seq = m.seq;
        if live {
            hooks::message(&m);
        }
        self.messages.update(|v| {
            let at = v.partition_point(|x| x.seq < seq);
            v.insert(at, m);
        });
        if replies {
            self.drafts.update(|d| d.retain(|x| x.reply_to >= seq));
            if live && !self.open.get_untracked() {
                self.unread.update(|n| *n += 1);
                hooks::call("unread", self.unread.get_untracked().into());
            }
        }
    }

    /// Adds a piece of a reply being written, unless the reply is stored.
    fn delta(self, d: AnswerDelta) {
        if Some(&d.conversation_id) != self.conv().as_ref() {
            return;
        }
        let answered = self.messages.with_untracked(|v| {
            v.iter()
                .any(|m| m.seq > d.reply_to && matches!(m.role, Role::Assistant))
        });
        if answered {
            return;
        }
        self.drafts.update(|all| {
            let at = match all.iter().position(|x| x.reply_to == d.reply_to) {
                Some(at) => at,
                None => {
                    all.push(Draft {
                        reply_to: d.reply_to,
                        parts: Vec::new(),
                    });
                    all.len() - 1
                }
            };
            all[at].insert(d.index, d.text);
        });
    }

    /// Forgets the shown conversation (new conversation, other identity).
    pub fn clear(self) {
        session(|s| {
            s.conv = None;
            s.live_gen += 1;
            s.last_event = None;
        });
        self.messages.set(Vec::new());
        self.pending.set(Vec::new());
        self.drafts.set(Vec::new());
        self.status.set(None);
        self.ready.set(false);
        self.notice.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_out_of_order_pieces_are_kept_once_in_order() {
        let mut d = Draft::default();
        for (i, t) in [(1, "b"), (0, "a"), (1, "b"), (2, "c"), (0, "a")] {
            d.insert(i, t.into());
        }
        assert_eq!(d.text(), "abc");
    }
}
