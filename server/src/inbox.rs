//! Inbox rules, independent of HTTP: assigning (and the visitor's "NAME
//! joined"), handing back to the bot, snoozing, read marks, typing, and
//! which members are online. Every committed change is published to the
//! members' site stream; typing and presence are published without being
//! stored.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use lantern_shared::{
    api::{Conversation, ConversationStatus, Role},
    inbox::{Presence as PresenceData, Typing, kind},
};

use crate::{
    auth::Caller,
    chat::Chat,
    error::ApiError,
    events::{LiveEvent, site_channel},
    markdown,
    redis_link::RedisLink,
};

/// The furthest a snooze may reach.
const MAX_SNOOZE: chrono::Duration = chrono::Duration::days(366);

impl Chat {
    /// Gives the conversation to `user_id` (a member of its site) or to
    /// nobody. A new assignee is announced to the visitor ("NAME joined").
    pub async fn assign(
        &self,
        caller: &Caller,
        id: &str,
        user_id: Option<&str>,
    ) -> Result<Conversation, ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        let name = match user_id {
            Some(user_id) => Some(self.member_name(&conv.site_id, user_id).await?),
            None => None,
        };
        let change = self.db.assign(&conv.id, user_id).await?;
        let joined = change.site_event.is_some()
            && change.conversation.status != ConversationStatus::Closed;
        self.publish_site(change.site_event);
        if let (true, Some(name)) = (joined, name) {
            self.announce_join(&conv.id, &name).await?;
        }
        Ok(change.conversation.to_api(None))
    }

    /// Claims an unassigned hand-over for the member about to reply, so the
    /// visitor reads "NAME joined" before the reply.
    pub async fn claim_before_reply(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        let Caller::Member { user_id, .. } = caller else {
            return Ok(());
        };
        let conv = self.visible_conversation(caller, id).await?;
        if conv.assignee_id.is_none() && conv.status == ConversationStatus::Handoff {
            self.assign(caller, id, Some(user_id)).await?;
        }
        Ok(())
    }

    /// "Hand back to the bot": the status returns to `open`, unassigned.
    pub async fn release(&self, caller: &Caller, id: &str) -> Result<Conversation, ApiError> {
        self.set_status(caller, id, ConversationStatus::Open).await
    }

    /// Hides the conversation until `until` (RFC 3339); `None` wakes it.
    pub async fn snooze(
        &self,
        caller: &Caller,
        id: &str,
        until: Option<&str>,
    ) -> Result<Conversation, ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        let until = match until {
            None => None,
            Some(text) => {
                let t = DateTime::parse_from_rfc3339(text)
                    .map_err(|_| ApiError::field("until", "must be an RFC 3339 time"))?
                    .with_timezone(&Utc);
                let now = Utc::now();
                if t <= now || t > now + MAX_SNOOZE {
                    return Err(ApiError::field(
                        "until",
                        "must be in the future, at most a year ahead",
                    ));
                }
                Some(t)
            }
        };
        let change = self.db.snooze(&conv.id, until).await?;
        self.publish_site(change.site_event);
        Ok(change.conversation.to_api(None))
    }

    /// Marks the conversation read by the calling member up to `seq` (the
    /// newest message by default).
    pub async fn mark_read(&self, caller: &Caller, id: &str, seq: Option<i64>) -> Result<(), ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        let Caller::Member { user_id, .. } = caller else {
            return Err(ApiError::Forbidden("read marks belong to signed-in members".into()));
        };
        let seq = match seq {
            Some(s) if s < 0 => return Err(ApiError::field("seq", "must not be negative")),
            Some(s) => s,
            None => self.db.last_seq(&conv.id).await?,
        };
        self.db.mark_read(&conv.id, user_id, seq).await?;
        Ok(())
    }

    /// Tells the other side someone is typing: a visitor's typing goes to
    /// the members' stream, a member's to the visitor's stream (and to the
    /// other members). Nothing is stored.
    pub async fn typing(
        &self,
        caller: &Caller,
        id: &str,
        typing: bool,
        draft: Option<&str>,
    ) -> Result<(), ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        if conv.status == ConversationStatus::Closed {
            return Ok(());
        }
        // A visitor's draft reaches agents only when the owner allows it;
        // otherwise it is dropped here, unread and unlogged.
        let wanted = typing && draft.is_some() && matches!(caller, Caller::Visitor { .. });
        let shown = wanted && self.site(&conv.site_id).await?.typing_preview;
        let draft = draft.filter(|_| shown).map(|d| {
            d.chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .take(lantern_shared::inbox::MAX_DRAFT)
                .collect::<String>()
        });
        let (from, name) = match caller {
            Caller::Visitor { .. } => ("visitor", None),
            Caller::Member { site_id, user_id, .. } => {
                ("agent", Some(self.member_name(site_id, user_id).await?))
            }
            Caller::Admin { .. } => ("agent", None),
        };
        let data = serde_json::to_value(Typing {
            conversation_id: conv.id.clone(),
            from: from.into(),
            typing,
            name,
            draft,
        })
        .unwrap_or_default();
        if from == "agent" && self.hub.may_be_watched(&conv.id) {
            self.hub
                .publish(LiveEvent::new(conv.id.clone(), None, kind::TYPING, data.clone()));
        }
        self.hub.publish(LiveEvent::new(
            site_channel(&conv.site_id),
            None,
            kind::TYPING,
            data,
        ));
        Ok(())
    }

    /// The visitor left an email for a reply (nobody was online): kept on
    /// the visitor, and told to the team as a note in the conversation.
    pub async fn leave_contact(&self, caller: &Caller, id: &str, email: &str) -> Result<(), ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        let Caller::Visitor { visitor_id, .. } = caller else {
            return Err(ApiError::Forbidden("only the visitor leaves their email".into()));
        };
        let email = email.trim();
        if !crate::accounts::valid_email(email) {
            return Err(ApiError::field("email", "must be an email address"));
        }
        self.db.set_contact_email(visitor_id, email).await?;
        let text = format!("The visitor left an email for a reply: {email}");
        let new = crate::db::NewMessage {
            role: Role::System,
            html: markdown::render(&markdown_escape(&text)),
            content: text,
            citations: Vec::new(),
            incomplete: false,
            client_message_id: None,
            internal: true,
            author: None,
            retrieval: None,
            attachment_ids: Vec::new(),
        };
        self.append(&conv.id, &new).await?;
        Ok(())
    }

    /// The display name of a member of `site_id`; 400 for anyone else.
    async fn member_name(&self, site_id: &str, user_id: &str) -> Result<String, ApiError> {
        let not_member = || ApiError::field("user_id", "is not a member of this site");
        if self.db.role_on(user_id, site_id).await?.is_none() {
            return Err(not_member());
        }
        let user = self.db.user(user_id).await?.ok_or_else(not_member)?;
        Ok(if user.name.trim().is_empty() {
            user.email
        } else {
            user.name
        })
    }

    /// "NAME joined the conversation", as a system message the visitor sees.
    async fn announce_join(&self, conversation_id: &str, name: &str) -> Result<(), ApiError> {
        let text = format!("{name} joined the conversation");
        let new = crate::db::NewMessage {
            role: Role::System,
            html: markdown::render(&markdown_escape(&text)),
            content: text,
            citations: Vec::new(),
            incomplete: false,
            client_message_id: None,
            internal: false,
            author: None,
            retrieval: None,
            attachment_ids: Vec::new(),
        };
        self.append(conversation_id, &new).await?;
        Ok(())
    }
}

/// Escapes markdown punctuation in a person's name.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()#+-.!<>|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How long a member counts as online in Redis without a refresh.
const PRESENCE_TTL_MS: i64 = 90_000;
/// How often each instance refreshes its online members in Redis.
const PRESENCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// Which members have an inbox stream open, per site: counted here, and
/// with Redis shared by every instance (a sorted set per site, scored by
/// when each entry expires, refreshed by the instances that hold streams).
#[derive(Clone, Default)]
pub struct Presence {
    online: Arc<Mutex<HashMap<String, HashMap<String, usize>>>>,
    redis: Option<RedisLink>,
}

impl Presence {
    pub fn new(redis: Option<RedisLink>) -> Presence {
        let presence = Presence {
            online: Arc::default(),
            redis,
        };
        if presence.redis.is_some() {
            let p = presence.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PRESENCE_REFRESH).await;
                    let sites: Vec<String> = p.lock().keys().cloned().collect();
                    for site in sites {
                        p.shared(&site, None).await;
                    }
                }
            });
        }
        presence
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, usize>>> {
        self.online.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a stream of `user_id` on `site_id` open until the guard drops;
    /// publishes `presence` when the member comes online.
    pub fn open(&self, chat: &Chat, site_id: &str, user_id: &str) -> PresenceGuard {
        let first = {
            let mut online = self.lock();
            let n = online
                .entry(site_id.to_string())
                .or_default()
                .entry(user_id.to_string())
                .or_default();
            *n += 1;
            *n == 1
        };
        if first {
            self.announce(chat, site_id, None);
        }
        PresenceGuard {
            presence: self.clone(),
            chat: chat.clone(),
            site_id: site_id.to_string(),
            user_id: user_id.to_string(),
        }
    }

    /// The members of `site_id` online on this instance.
    fn here(&self, site_id: &str) -> Vec<String> {
        self.lock()
            .get(site_id)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The members of `site_id` online anywhere: this instance's, with
    /// Redis every instance's (writing this instance's first; `gone` left
    /// its last stream here).
    pub async fn shared(&self, site_id: &str, gone: Option<&str>) -> Vec<String> {
        let mut ids = self.here(site_id);
        if let Some(link) = &self.redis
            && let Some(mut conn) = link.connection().await
        {
            let key = link.key(&format!("presence:{site_id}"));
            let now = chrono::Utc::now().timestamp_millis();
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.cmd("ZADD").arg(&key).arg(now + PRESENCE_TTL_MS).arg(id).ignore();
            }
            if let Some(gone) = gone {
                pipe.cmd("ZREM").arg(&key).arg(gone).ignore();
            }
            pipe.cmd("ZREMRANGEBYSCORE").arg(&key).arg("-inf").arg(now).ignore();
            pipe.cmd("PEXPIRE").arg(&key).arg(PRESENCE_TTL_MS).ignore();
            pipe.cmd("ZRANGE").arg(&key).arg(0).arg(-1);
            match pipe.query_async::<(Vec<String>,)>(&mut conn).await {
                Ok((others,)) => ids.extend(others),
                Err(e) => tracing::warn!(error = %e, "presence not shared through Redis"),
            }
        }
        ids.sort();
        ids.dedup();
        ids
    }

    fn announce(&self, chat: &Chat, site_id: &str, gone: Option<String>) {
        let (presence, chat, site_id) = (self.clone(), chat.clone(), site_id.to_string());
        tokio::spawn(async move {
            let online = presence.shared(&site_id, gone.as_deref()).await;
            let data = serde_json::to_value(PresenceData { online }).unwrap_or_default();
            chat.hub
                .publish(LiveEvent::new(site_channel(&site_id), None, kind::PRESENCE, data));
        });
    }
}

/// One open member stream, counted by [`Presence`].
pub struct PresenceGuard {
    presence: Presence,
    chat: Chat,
    site_id: String,
    user_id: String,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let last = {
            let mut online = self.presence.lock();
            let site = online.entry(self.site_id.clone()).or_default();
            let n = site.entry(self.user_id.clone()).or_default();
            *n = n.saturating_sub(1);
            let last = *n == 0;
            if last {
                site.remove(&self.user_id);
            }
            if site.is_empty() {
                online.remove(&self.site_id);
            }
            last
        };
        if last {
            self.presence
                .announce(&self.chat, &self.site_id, Some(self.user_id.clone()));
        }
    }
}
