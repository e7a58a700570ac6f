//! The visitor's other actions: rating a reply, asking for a human.

use lantern_shared::api::{ConversationStatus, PostFeedback, Rating};
use lantern_shared::routes;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::chat::Chat;
use crate::http::Call;

impl Chat {
    /// Thumbs up/down on a reply; shown at once, undone if the call fails.
    pub fn rate(self, message_id: String, rating: Rating) {
        let before = self.ratings.get_untracked();
        self.ratings.update(|r| {
            r.retain(|(id, _)| *id != message_id);
            r.push((message_id.clone(), rating));
        });
        spawn_local(async move {
            let url = self.url(&routes::fill(routes::MESSAGE_FEEDBACK, &message_id));
            let body = PostFeedback {
                rating,
                comment: None,
            };
            let ok = match self.token().await {
                Ok(t) => Call::new("POST", url, Some(&t))
                    .json(&body)
                    .send()
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            if !ok {
                self.ratings.set(before);
                self.notice.set(Some(self.t().failed.into()));
            }
        });
    }

    /// "Talk to a human": the conversation goes to the site's agents.
    pub fn handoff(self) {
        spawn_local(async move {
            let result = async {
                let conv = self.ensure_conversation().await?;
                let token = self.token().await?;
                let url = self.url(&routes::fill(routes::CONVERSATION_HANDOFF, &conv));
                Call::new("POST", url, Some(&token)).send().await
            }
            .await;
            match result {
                Ok(_) => {
                    self.status.set(Some(ConversationStatus::Handoff));
                    // Nobody online: ask where to reply instead.
                    let url = self.url(&routes::fill(routes::SITE_PRESENCE, &self.site_id()));
                    if let Ok(r) = Call::new("GET", url, None).send().await
                        && let Ok(text) = crate::http::text(&r).await
                        && text.contains("\"agents_online\":false")
                    {
                        self.away.set(1);
                    }
                }
                Err(e) => self.notice.set(Some(self.describe(&e))),
            }
        });
    }

    /// Leaves `email` for a reply (nobody was online).
    pub fn leave_contact(self, email: String) {
        spawn_local(async move {
            let Some(conv) = self.conv() else { return };
            let url = self.url(&routes::fill(routes::CONVERSATION_CONTACT, &conv));
            let body = lantern_shared::inbox::LeaveContact { email };
            let sent = match self.token().await {
                Ok(t) => Call::new("POST", url, Some(&t))
                    .json(&body)
                    .send()
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            if sent {
                self.away.set(2);
            } else {
                self.notice.set(Some(self.t().failed.into()));
            }
        });
    }
}
