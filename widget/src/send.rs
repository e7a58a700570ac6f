//! Sending the visitor's messages, with the reply streamed when the server
//! streams it (fetch + ReadableStream + our SSE parser) and read from the
//! JSON answer otherwise. A retry reuses the message's client id, so the
//! server stores it once however often it is sent.

use lantern_shared::api::{PostMessage, PostMessageResponse};
use lantern_shared::event::kind;
use lantern_shared::routes;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::chat::{Chat, Pending};
use crate::http::{ApiError, Call, decode, is_event_stream, read_body};
use crate::sse::Parser;

/// A client id unique enough for one visitor's messages.
fn client_id() -> String {
    let r = (js_sys::Math::random() * 1e12) as u64;
    format!("w{:x}-{r:x}", js_sys::Date::now() as u64)
}

thread_local! {
    /// When "typing" was last sent (ms since the epoch).
    static TYPED_AT: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// At most one "typing" every this many milliseconds.
const TYPING_EVERY_MS: f64 = 4000.0;

impl Chat {
    /// The visitor typed: tells a human who has the conversation, at most
    /// once every few seconds (nobody watches while the bot answers).
    pub fn typed(self, text: String) {
        if self.status.get_untracked() != Some(lantern_shared::api::ConversationStatus::Handoff) {
            return;
        }
        let now = js_sys::Date::now();
        if now - TYPED_AT.get() < TYPING_EVERY_MS {
            return;
        }
        TYPED_AT.set(now);
        let Some(conv) = self.conv() else { return };
        spawn_local(async move {
            let Ok(token) = self.token().await else {
                return;
            };
            let url = self.url(&routes::fill(routes::CONVERSATION_TYPING, &conv));
            // The draft only goes out when the owner shows it to agents.
            let preview = self
                .site
                .with_untracked(|s| s.as_ref().is_some_and(|s| s.typing_preview));
            let draft = preview.then(|| {
                text.chars()
                    .take(lantern_shared::inbox::MAX_DRAFT)
                    .collect()
            });
            let body = lantern_shared::inbox::SetTyping {
                typing: true,
                draft,
            };
            let _ = Call::new("POST", url, Some(&token))
                .json(&body)
                .send()
                .await;
        });
    }

    /// The composer submitted `text`, with `files`: `attach.js`'s promise
    /// of the ids of the files uploaded for it, or `undefined`. The message
    /// shows at once; it goes once the uploads under way have finished
    /// (a file that failed stays in the tray with its error).
    pub fn submit(self, text: String, files: JsValue) {
        let content = text.trim().to_string();
        if (content.is_empty() && files.is_undefined()) || self.sending.get_untracked() {
            return;
        }
        let id = client_id();
        self.pending.update(|p| {
            p.push(Pending {
                client_id: id.clone(),
                content: content.clone(),
                files: Vec::new(),
                failed: false,
            })
        });
        spawn_local(self.send(id, content, files));
    }

    /// Retries the failed message(s), or the start-up when nothing failed.
    pub fn retry(self) {
        let failed = self
            .pending
            .with_untracked(|p| p.iter().find(|x| x.failed).cloned());
        match failed {
            Some(p) => spawn_local(self.send(p.client_id, p.content, JsValue::UNDEFINED)),
            None => spawn_local(self.ensure_ready()),
        }
    }

    async fn send(self, client_id: String, content: String, files: JsValue) {
        self.sending.set(true);
        if !files.is_undefined() {
            let ids: Vec<String> = JsFuture::from(js_sys::Promise::resolve(&files))
                .await
                .ok()
                .filter(js_sys::Array::is_array)
                .map(|v| {
                    js_sys::Array::from(&v)
                        .iter()
                        .filter_map(|x| x.as_string())
                        .collect()
                })
                .unwrap_or_default();
            // Only files, and none of them uploaded: nothing to send.
            let nothing = content.is_empty() && ids.is_empty();
            self.pending.update(|p| {
                p.retain(|x| !(nothing && x.client_id == client_id));
                for x in p.iter_mut().filter(|x| x.client_id == client_id) {
                    x.files = ids.clone();
                }
            });
            if nothing {
                self.sending.set(false);
                return;
            }
        }
        self.notice.set(None);
        self.mark(&client_id, false);
        let result = self.post(&client_id, content).await;
        self.sending.set(false);
        if let Err(e) = result {
            self.mark(&client_id, true);
            self.notice.set(Some(self.describe(&e)));
        }
    }

    fn mark(self, client_id: &str, failed: bool) {
        self.pending.update(|p| {
            for x in p.iter_mut().filter(|x| x.client_id == client_id) {
                x.failed = failed;
            }
        });
    }

    fn acknowledged(self, client_id: &str) -> bool {
        self.pending
            .with_untracked(|p| !p.iter().any(|x| x.client_id == client_id))
    }

    async fn post(self, client_id: &str, content: String) -> Result<(), ApiError> {
        let conv = self.ensure_conversation().await?;
        let token = self.token().await?;
        let attachment_ids = self.pending.with_untracked(|p| {
            p.iter()
                .find(|x| x.client_id == client_id)
                .map(|x| x.files.clone())
                .unwrap_or_default()
        });
        let body = PostMessage {
            content,
            client_message_id: Some(client_id.to_string()),
            attachment_ids,
            ..Default::default()
        };
        let url = self.url(&routes::fill(routes::CONVERSATION_MESSAGES, &conv));
        let mut call = Call::new("POST", url, Some(&token)).json(&body);
        call.sse = true;
        let resp = call.send().await?;
        if !is_event_stream(&resp) {
            let r: PostMessageResponse = decode(&resp).await?;
            self.add(r.message, true);
            if let Some(reply) = r.reply {
                self.add(reply, true);
            }
            return Ok(());
        }
        let mut parser = Parser::default();
        let read = read_body(&resp, |chunk| {
            for ev in parser.push(chunk) {
                if ev.event == kind::DONE {
                    return false;
                }
                self.apply(&ev);
            }
            true
        })
        .await;
        // A stream cut after the message was stored is not a failed send:
        // the reply still arrives through the live events stream.
        if read.is_err() && !self.acknowledged(client_id) {
            return Err(ApiError::Offline);
        }
        Ok(())
    }

    /// The sentence shown for an error.
    pub fn describe(&self, e: &ApiError) -> String {
        match e {
            ApiError::Offline => self.t().offline.to_string(),
            ApiError::RateLimited(secs) => self.t().rate_limited.replace("{}", &secs.to_string()),
            ApiError::Status(..) | ApiError::Invalid => self.t().failed.to_string(),
        }
    }
}
