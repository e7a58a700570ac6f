//! The conversation's live events (`GET …/events`, SSE over fetch so the
//! token goes in a header): agent replies, replies finished while the page
//! was away, status changes. Reconnects with `Last-Event-ID` and, after each
//! connect, fetches messages past the last seq shown, so nothing is missed
//! between the history load and the stream.
//!
//! One tab per site holds the stream (the leader, chosen by `app.js` with
//! a Web Lock); it relays every event to the visitor's other tabs over a
//! `BroadcastChannel`, so a visitor with five tabs open costs the server one
//! connection, and a conversation open in two tabs stays in step.

use std::cell::RefCell;

use lantern_shared::event::kind;
use lantern_shared::routes;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::AbortController;

use crate::chat::{Chat, session};
use crate::hooks;
use crate::http::{ApiError, Call, read_body, sleep};
use crate::sse::Parser;

thread_local! {
    /// Aborts the open stream when the conversation changes: browsers allow
    /// few connections per origin, a leaked stream would hold one.
    static CURRENT: RefCell<Option<AbortController>> = const { RefCell::new(None) };
}

impl Chat {
    /// Starts (or restarts) following the current conversation, when this
    /// tab leads; the others hear the leader's events.
    pub fn start_live(self) {
        session(|s| s.live_gen += 1);
        CURRENT.with(|c| {
            if let Some(old) = c.borrow_mut().take() {
                old.abort();
            }
        });
        let generation = session(|s| s.live_gen);
        if session(|s| s.leader) {
            spawn_local(self.follow(generation));
        }
    }

    /// This tab now holds the stream (the tab that held it closed).
    pub fn lead(self) {
        session(|s| s.leader = true);
        if self.conv().is_some() {
            self.start_live();
        }
    }

    /// Another tab switched to conversation `id`: follow it here too.
    pub fn adopt(self, id: String) {
        if self.conv().as_ref() != Some(&id) {
            self.clear();
            spawn_local(self.ensure_ready());
        }
    }

    /// Fetches the messages newer than those shown (the leader reconnected).
    pub fn catch_up(self) {
        if let Some(conv) = self.conv() {
            let seen = self.last_seq();
            spawn_local(async move {
                let _ = self.fetch_after(conv, seen, true).await;
            });
        }
    }

    fn last_seq(self) -> i64 {
        self.messages
            .with_untracked(|v| v.last().map_or(0, |m| m.seq))
    }

    fn current(self, generation: u32) -> bool {
        session(|s| s.live_gen) == generation
    }

    async fn follow(self, generation: u32) {
        let mut backoff = 1_000;
        while self.current(generation) {
            let Some(conv) = self.conv() else { return };
            match self.connect(&conv, generation).await {
                // No such conversation (any more), or no events endpoint.
                Err(ApiError::Status(401 | 403 | 404 | 405)) => return,
                Ok(()) => backoff = 1_000,
                Err(_) => backoff = (backoff * 2).min(30_000),
            }
            sleep(backoff).await;
        }
    }

    async fn connect(self, conv: &str, generation: u32) -> Result<(), ApiError> {
        let token = self.token().await?;
        let ctrl = AbortController::new().ok();
        let signal = ctrl.as_ref().map(|c| c.signal());
        CURRENT.with(|c| *c.borrow_mut() = ctrl);
        let last = session(|s| s.last_event.clone());
        let mut call = Call::new(
            "GET",
            self.url(&routes::fill(routes::CONVERSATION_EVENTS, conv)),
            Some(&token),
        );
        call.sse = true;
        call.last_event_id = last.as_deref();
        call.signal = signal.as_ref();
        let resp = call.send().await?;
        let seen = self.last_seq();
        self.fetch_after(conv.to_string(), seen, true).await?;
        // The other tabs may have missed events while no tab held a stream.
        hooks::call("sync", conv.into());
        let mut parser = Parser::default();
        let _ = read_body(&resp, |chunk| {
            if !self.current(generation) {
                return false;
            }
            for ev in parser.push(chunk) {
                if ev.event == kind::RECONNECT {
                    return false;
                }
                self.apply(&ev);
                hooks::call2("relay", &(&ev.event).into(), &(&ev.data).into());
            }
            if let Some(id) = parser.last_id() {
                let id = id.to_string();
                session(|s| s.last_event = Some(id));
            }
            true
        })
        .await;
        Ok(())
    }
}
