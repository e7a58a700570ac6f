//! Conversation logic, independent of HTTP: who may see what, the welcome
//! flow, posting a message and producing the reply, status changes. Every
//! committed event is published to the live-event hub.

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use lantern_shared::{
    api::{Author, Conversation, ConversationStatus, CreateConversation, Message, PostMessage, Role},
    event::{AnswerDelta, kind},
};

use crate::{
    answer::{Answer, Answerer, DeltaSink, Earlier, Known, MemoryChange, Question, Remembered},
    auth::Caller,
    error::ApiError,
    events::{EventHub, LiveEvent},
    markdown,
    db::{
        Appended, ConversationFacts, ConversationRecord, Db, NewConversation, NewMessage, Site,
        SiteEvent, StoredEvent,
    },
    validate,
};

/// How many earlier messages an answerer sees.
const HISTORY: i64 = 20;

#[derive(Clone)]
pub struct Chat {
    pub db: Db,
    pub hub: EventHub,
    pub answerer: Arc<dyn Answerer>,
}

/// The outcome of a post: the stored message and its reply, if any.
pub type Posted = Result<(Message, Option<Message>), ApiError>;

/// Memories and earlier conversations of a returning visitor given to the
/// answerer at most.
const KNOWN_MEMORIES: i64 = 20;
/// Of those, the memories matching the question, put first.
const KNOWN_RELEVANT: i64 = 5;
const KNOWN_EARLIER: i64 = 3;

/// Where a streamed post's events go, in order (a streamed response).
pub use crate::watcher::Watcher;

/// A validated message post, ready to store.
pub struct Post {
    pub conversation: ConversationFacts,
    pub new: NewMessage,
    pub language: String,
    /// The member posting: what they post, they have read.
    pub reader: Option<String>,
}

/// `Ok` when `caller` may see a conversation of `site_id` and `visitor_id`;
/// otherwise it is reported missing, not forbidden, so ids cannot be probed.
fn seen(caller: &Caller, site_id: &str, visitor_id: Option<&str>) -> Result<(), ApiError> {
    if may_see(caller, site_id, visitor_id) {
        Ok(())
    } else {
        Err(ApiError::not_found("conversation"))
    }
}

impl Chat {
    /// The conversation if `caller` may see it. Others' conversations are
    /// reported as missing, not forbidden, so ids cannot be probed.
    pub async fn visible_conversation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ConversationRecord, ApiError> {
        let id = validate::id("conversation", id)?;
        let conv = self
            .db
            .conversation(id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        seen(caller, &conv.site_id, conv.visitor_id.as_deref())?;
        Ok(conv)
    }

    /// [`Self::visible_conversation`] for a post, which needs only the
    /// conversation's owner, status and language: from the cache when it
    /// can (a deletion, erasure, merge or status change clears it).
    pub async fn visible_facts(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<ConversationFacts, ApiError> {
        let id = validate::id("conversation", id)?;
        let facts = self
            .db
            .conversation_facts(id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        seen(caller, &facts.site_id, facts.visitor_id.as_deref())?;
        Ok(facts)
    }

    /// A site's settings (cached; every change to them clears it).
    pub async fn site(&self, id: &str) -> Result<Site, ApiError> {
        self.db
            .site_cached(id)
            .await?
            .ok_or_else(|| ApiError::not_found("site"))
    }

    /// Creates a conversation with the site's welcome message, and the first
    /// exchange when `initial_message` is given.
    pub async fn create_conversation(
        &self,
        caller: &Caller,
        req: CreateConversation,
    ) -> Result<Conversation, ApiError> {
        let site = self.site(caller.site_id()).await?;
        let language = match &req.language {
            Some(l) => validate::language("language", l)?,
            None => site
                .languages
                .first()
                .cloned()
                .unwrap_or_else(|| "en".into()),
        };
        let metadata = validate::metadata(req.metadata)?;
        let initial = match &req.initial_message {
            Some(text) => Some(validate::text(
                "initial_message",
                text,
                validate::MAX_CONTENT_CHARS,
            )?),
            None => None,
        };
        let visitor_id = match caller {
            Caller::Visitor { visitor_id, .. } => Some(visitor_id.clone()),
            Caller::Admin { .. } | Caller::Member { .. } => None,
        };
        let (conv, created) = self
            .db
            .create_conversation(&NewConversation {
                site_id: site.id.clone(),
                visitor_id,
                language: language.clone(),
                metadata,
                page_url: validate::page_url("page_url", req.page_url.as_deref())?,
                referrer: validate::page_url("referrer", req.referrer.as_deref())?,
            })
            .await?;
        self.publish_site(Some(created));
        let mut messages = Vec::new();
        let mut welcome_text = site.welcome_for(&language).to_string();
        // A returning visitor whose name is known is greeted by it, and
        // offered what they asked last time.
        if let Caller::Visitor { visitor_id, .. } = caller
            && let Some(name) = self
                .db
                .visitor_profile(&site.id, visitor_id)
                .await?
                .and_then(|p| p.name)
        {
            let last = self.db.earlier_conversations(visitor_id, &conv.id, 1).await?;
            let last = last.first().map(|c| c.last_question.as_str());
            let greeting = crate::engine::replies::welcome_back(&language, &name, last);
            welcome_text = match greeting {
                Some(greeting) => format!("{greeting} {welcome_text}"),
                None => welcome_text,
            };
        }
        if !welcome_text.trim().is_empty() {
            let welcome = self
                .append(
                    &conv.id,
                    &assistant_message(Answer {
                        // Told apart from answers in the owner's log.
                        retrieval: Some(serde_json::json!({ "decision": "welcome" })),
                        ..Answer::plain(&welcome_text)
                    }),
                )
                .await?;
            messages.push(welcome.message);
        }
        if let Some(text) = initial {
            let post = Post {
                conversation: ConversationFacts::from(&conv),
                new: user_message(Role::User, &text, None),
                language,
                reader: None,
            };
            let (message, reply) = self.post(post, None).await?;
            messages.push(message);
            messages.extend(reply);
        }
        Ok(conv.to_api(Some(messages)))
    }

    /// Validates a post by `caller` into `conversation`.
    pub async fn prepare_post(
        &self,
        caller: &Caller,
        conversation_id: &str,
        req: PostMessage,
    ) -> Result<Post, ApiError> {
        let conversation = self.visible_facts(caller, conversation_id).await?;
        // A person signed in always writes as an agent; keys choose.
        let default_role = match caller {
            Caller::Member { .. } => Role::Agent,
            Caller::Admin { .. } | Caller::Visitor { .. } => Role::User,
        };
        let role = req.role.unwrap_or(default_role);
        match role {
            Role::User if !matches!(caller, Caller::Member { .. }) => {}
            Role::User => {
                return Err(ApiError::field("role", "a member posts as \"agent\""));
            }
            Role::Agent if caller.is_staff() => {}
            Role::Agent => {
                return Err(ApiError::Forbidden(
                    "only an admin key or a member of the site may post as an agent".into(),
                ));
            }
            Role::Assistant | Role::System => {
                return Err(ApiError::field("role", "must be \"user\" or \"agent\""));
            }
        }
        let internal = req.internal.unwrap_or(false);
        if internal && !caller.is_staff() {
            return Err(ApiError::Forbidden(
                "only members and admin keys may write private notes".into(),
            ));
        }
        if internal && role != Role::Agent {
            return Err(ApiError::field("internal", "a note is written as \"agent\""));
        }
        // A message may be its attachments alone.
        let content = if req.content.trim().is_empty() && !req.attachment_ids.is_empty() {
            String::new()
        } else {
            validate::text("content", &req.content, validate::MAX_CONTENT_CHARS)?
        };
        let client_id = match &req.client_message_id {
            Some(id) => Some(validate::client_id("client_message_id", id)?),
            None => None,
        };
        let language = match &req.language {
            Some(l) => validate::language("language", l)?,
            None => conversation.language.clone(),
        };
        // An agent's reply reopens a closed conversation (as a hand-over);
        // a note may be added to it; the visitor may not write to it.
        if conversation.status == ConversationStatus::Closed && role != Role::Agent {
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        let (author, reader) = match caller {
            Caller::Member { user_id, .. } => {
                let user = self
                    .db
                    .user_cached(user_id)
                    .await?
                    .ok_or_else(|| ApiError::Unauthorized("sign in again".into()))?;
                let name = if user.name.trim().is_empty() { user.email } else { user.name };
                (Some(Author { id: user.id, name }), Some(user_id.clone()))
            }
            Caller::Admin { .. } | Caller::Visitor { .. } => (None, None),
        };
        let attachment_ids = crate::attachments::sendable(
            &self.db,
            caller,
            &conversation.id,
            &req.attachment_ids,
            client_id.as_deref(),
        )
        .await?;
        let mut new = user_message(role, &content, client_id);
        new.attachment_ids = attachment_ids;
        new.internal = internal;
        new.author = author;
        Ok(Post {
            conversation,
            new,
            language,
            reader,
        })
    }

    /// Posts a message and, when it is due, the assistant's reply: the one
    /// path for plain and streamed posts. With a `watcher` (a streamed
    /// response) the stored message, the answer's deltas and the stored
    /// reply go to it as they happen; the message is committed before
    /// anything is sent. Without one, the message and its reply are
    /// committed together. The work runs in a task of its own, so a client
    /// that goes away mid-answer loses nothing.
    pub async fn post(
        &self,
        post: Post,
        watcher: Option<Watcher>,
    ) -> Result<(Message, Option<Message>), ApiError> {
        self.spawn_post(post, watcher)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
    }

    /// [`Self::post`], started now; the handle gives its outcome.
    pub fn spawn_post(&self, post: Post, watcher: Option<Watcher>) -> tokio::task::JoinHandle<Posted> {
        let chat = self.clone();
        tokio::spawn(async move { chat.post_here(post, watcher.as_ref()).await })
    }

    async fn post_here(
        &self,
        post: Post,
        watcher: Option<&Watcher>,
    ) -> Result<(Message, Option<Message>), ApiError> {
        let conversation_id = post.conversation.id.clone();
        // A repeat: the stored message and the reply stored after it.
        if let Some(client_id) = &post.new.client_message_id
            && let Some(message) = self.db.message_by_client_id(&conversation_id, client_id).await?
        {
            if message.internal && !post.new.internal {
                return Err(ApiError::Conflict("this client_message_id is taken".into()));
            }
            let reply = self.existing_reply(&message).await?;
            for m in std::iter::once(&message).chain(&reply) {
                watch(watcher, created(m));
            }
            return Ok((message, reply));
        }
        // Files without words are for people: the bot has nothing to answer.
        let due = post.new.role == Role::User
            && post.conversation.status == ConversationStatus::Open
            && !post.new.content.is_empty();
        if !due {
            let appended = self.append(&conversation_id, &post.new).await?;
            if let Some(reader) = &post.reader {
                self.db
                    .mark_read(&conversation_id, reader, appended.message.seq)
                    .await?;
            }
            watch(watcher, created(&appended.message));
            return Ok((appended.message, None));
        }
        let Some(watcher) = watcher else {
            return self.exchange(post).await;
        };
        let asked = self.append(&conversation_id, &post.new).await?;
        watch(Some(watcher), created(&asked.message));
        if asked.event.is_none() {
            // Stored meanwhile by a concurrent repeat: answered there.
            let reply = self.existing_reply(&asked.message).await?;
            return Ok((asked.message, reply));
        }
        let question = asked.message;
        let sink = self.delta_sink(&conversation_id, question.seq, Some(watcher.clone()));
        let mut answer = self.answer(&post, &question.content, question.seq, sink).await?;
        let memory = std::mem::take(&mut answer.memory);
        let handoff = answer.handoff;
        let reply = self
            .append(&conversation_id, &assistant_message(answer))
            .await?;
        self.remember(post.conversation.visitor_id.as_deref(), memory).await;
        watch(Some(watcher), created(&reply.message));
        if handoff {
            // After the reply, so the visitor reads it before the status
            // changes; a human takes the conversation from here.
            let change = self
                .db
                .set_status(&conversation_id, ConversationStatus::Handoff)
                .await?;
            self.publish(change.event);
            self.publish_site(change.site_event);
        }
        Ok((question, Some(reply.message)))
    }

    /// The plain path: answer, then store question, reply and any hand-over
    /// in one commit. Nobody can watch a reply to a question not yet
    /// stored, so its deltas are not made.
    async fn exchange(&self, post: Post) -> Result<(Message, Option<Message>), ApiError> {
        let mut answer = self
            .answer(&post, &post.new.content, i64::MAX, DeltaSink::discard())
            .await?;
        let memory = std::mem::take(&mut answer.memory);
        let handoff = answer.handoff;
        let reply = assistant_message(answer);
        let exchange = self
            .db
            .append_exchange(&post.conversation.id, &post.new, &reply, handoff)
            .await?;
        let question = exchange.question.message.clone();
        let Some(reply) = exchange.reply else {
            let reply = self.existing_reply(&question).await?;
            return Ok((question, reply));
        };
        self.remember(post.conversation.visitor_id.as_deref(), memory).await;
        crate::stats::message_stored(Role::User.as_str());
        crate::stats::message_stored(Role::Assistant.as_str());
        self.publish_appended(exchange.question);
        let reply_message = reply.message.clone();
        self.publish_appended(reply);
        if let Some(change) = exchange.handoff {
            self.publish(change.event);
            self.publish_site(change.site_event);
        }
        Ok((question, Some(reply_message)))
    }

    /// Asks the answerer about `text` (the message at `seq`, which earlier
    /// turns precede).
    async fn answer(
        &self,
        post: &Post,
        text: &str,
        seq: i64,
        sink: DeltaSink,
    ) -> Result<Answer, ApiError> {
        let site = self.site(&post.conversation.site_id).await?;
        let history = if self.answerer.wants_history() {
            let mut recent = self
                .db
                .recent_messages(&post.conversation.id, HISTORY + 1)
                .await?;
            recent.retain(|m| m.seq < seq);
            recent
        } else {
            Vec::new()
        };
        let known = match &post.conversation.visitor_id {
            Some(visitor) if self.answerer.wants_known(text) => {
                self.known(&site.id, visitor, &post.conversation.id, text).await?
            }
            _ => Known::default(),
        };
        let started = std::time::Instant::now();
        let answer = self
            .answerer
            .answer(
                Question {
                    site,
                    conversation_id: post.conversation.id.clone(),
                    visitor_id: post.conversation.visitor_id.clone(),
                    language: post.language.clone(),
                    text: text.to_string(),
                    history,
                    known,
                },
                sink,
            )
            .await;
        crate::stats::answer_finished(started);
        Ok(answer)
    }

    /// What is known about `visitor_id`, for the answerer's context: their
    /// name, their memories (those matching `text` first, then the newest),
    /// and a summary of their latest earlier conversations.
    async fn known(
        &self,
        site_id: &str,
        visitor_id: &str,
        conversation_id: &str,
        text: &str,
    ) -> Result<Known, ApiError> {
        let name = self
            .db
            .visitor_profile(site_id, visitor_id)
            .await?
            .and_then(|p| p.name);
        let terms = crate::knowledge::analysis::search_terms(text, None);
        let mut rows = self
            .db
            .search_memories(visitor_id, &terms, KNOWN_RELEVANT)
            .await?;
        for m in self.db.memories(visitor_id, KNOWN_MEMORIES).await? {
            if rows.len() as i64 >= KNOWN_MEMORIES {
                break;
            }
            if !rows.iter().any(|r| r.id == m.id) {
                rows.push(m);
            }
        }
        let memories = rows
            .into_iter()
            .map(|m| Remembered {
                id: m.id,
                content: m.content,
                source: m.source,
            })
            .collect();
        let earlier = self
            .db
            .earlier_conversations(visitor_id, conversation_id, KNOWN_EARLIER)
            .await?
            .into_iter()
            .map(|c| Earlier {
                date: c.created_at.format("%Y-%m-%d").to_string(),
                outcome: match (c.handed_over, c.status.as_str()) {
                    (true, _) => "handed over to the team",
                    (false, "closed") => "closed",
                    _ => "still open",
                },
                messages: c.messages,
                last_question: (c.last_question != c.first_question).then_some(c.last_question),
                first_question: c.first_question,
            })
            .collect();
        Ok(Known {
            name,
            memories,
            earlier,
        })
    }

    /// Applies what a stored reply changes in the visitor's memories. A
    /// failure is logged, not the visitor's problem: the reply is stored.
    async fn remember(&self, visitor_id: Option<&str>, change: MemoryChange) {
        let Some(visitor_id) = visitor_id.filter(|_| !change.is_empty()) else {
            return;
        };
        let outcome = async {
            let saved = self.db.save_assistant_memories(visitor_id, &change.save).await?;
            let forgotten = self
                .db
                .forget_memories(visitor_id, &change.forget, change.forget_all)
                .await?;
            Ok::<_, crate::db::Error>((saved, forgotten))
        }
        .await;
        match outcome {
            Ok((saved, forgotten)) => {
                tracing::info!(visitor_id, saved, forgotten, "visitor memories changed")
            }
            Err(e) => tracing::error!(visitor_id, error = %e, "visitor memories not changed"),
        }
    }

    /// Where an answer's pieces go: the hub (when someone may watch the
    /// conversation) and `watcher`, each as an `answer.delta` event.
    fn delta_sink(&self, conversation_id: &str, reply_to: i64, watcher: Option<Watcher>) -> DeltaSink {
        let hub = self.hub.clone();
        let conversation_id = conversation_id.to_string();
        let index = AtomicU32::new(0);
        let started = std::time::Instant::now();
        DeltaSink::new(move |text| {
            let index = index.fetch_add(1, Ordering::Relaxed);
            if index == 0 {
                crate::stats::first_delta(started);
            }
            let delta = AnswerDelta {
                conversation_id: conversation_id.clone(),
                reply_to,
                index,
                text,
            };
            let data = serde_json::to_value(&delta).unwrap_or_default();
            let event = Arc::new(LiveEvent::new(
                conversation_id.clone(),
                None,
                kind::ANSWER_DELTA,
                data,
            ));
            if let Some(w) = &watcher {
                w.delta(event.clone());
            }
            if hub.may_be_watched(&conversation_id) {
                hub.publish_shared(event);
            }
        })
    }

    /// For a repeated post: the reply already stored after it, if any.
    pub async fn existing_reply(&self, message: &Message) -> Result<Option<Message>, ApiError> {
        let next = self
            .db
            .messages(&message.conversation_id, message.seq, 1, false)
            .await?;
        Ok(next
            .into_iter()
            .find(|m| matches!(m.role, Role::Assistant | Role::Agent)))
    }

    /// Appends a message and publishes its event.
    pub async fn append(&self, conversation_id: &str, new: &NewMessage) -> Result<Appended, ApiError> {
        let appended = self.db.append_message(conversation_id, new).await?;
        if !appended.site_events.is_empty() {
            crate::stats::message_stored(new.role.as_str());
        }
        self.publish_appended(appended.clone());
        Ok(appended)
    }

    /// Publishes a stored message's events: the visitor's (none for a
    /// note) and the members'.
    fn publish_appended(&self, appended: Appended) {
        self.publish(appended.event);
        self.publish(appended.reopened);
        for e in appended.site_events {
            self.publish_site(Some(e));
        }
    }

    pub(crate) fn publish(&self, event: Option<StoredEvent>) {
        if let Some(event) = event {
            self.hub.publish(event.into());
        }
    }

    /// Publishes an event of the members' site stream.
    pub(crate) fn publish_site(&self, event: Option<SiteEvent>) {
        if let Some(event) = event {
            self.hub.publish(event.into());
        }
    }

    /// Moves a conversation to `status`, publishing the change.
    pub async fn set_status(
        &self,
        caller: &Caller,
        id: &str,
        status: ConversationStatus,
    ) -> Result<Conversation, ApiError> {
        let conv = self.visible_conversation(caller, id).await?;
        if conv.status == ConversationStatus::Closed && status != ConversationStatus::Closed {
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        let change = self.db.set_status(&conv.id, status).await?;
        self.publish(change.event);
        self.publish_site(change.site_event);
        Ok(change.conversation.to_api(None))
    }
}

/// Whether `caller` may see a conversation of `site_id` started by
/// `visitor_id`: owners and agents alike work the site's inbox; a visitor
/// sees only their own.
fn may_see(caller: &Caller, site_id: &str, visitor_id: Option<&str>) -> bool {
    match caller {
        Caller::Admin { site_id: s } | Caller::Member { site_id: s, .. } => s == site_id,
        Caller::Visitor {
            site_id: s,
            visitor_id: v,
        } => s == site_id && visitor_id == Some(v.as_str()),
    }
}

fn user_message(role: Role, content: &str, client_message_id: Option<String>) -> NewMessage {
    NewMessage {
        role,
        content: content.to_string(),
        html: markdown::render(content),
        citations: Vec::new(),
        incomplete: false,
        client_message_id,
        internal: false,
        author: None,
        retrieval: None,
        attachment_ids: Vec::new(),
    }
}

fn assistant_message(answer: Answer) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        html: markdown::render(&answer.content),
        content: answer.content,
        citations: answer.citations,
        incomplete: answer.incomplete,
        client_message_id: None,
        internal: false,
        author: None,
        retrieval: answer.retrieval,
        attachment_ids: Vec::new(),
    }
}

/// Sends `event` to the watcher, if any; a watcher that went away is fine.
fn watch(watcher: Option<&Watcher>, event: LiveEvent) {
    if let Some(w) = watcher {
        w.send(Arc::new(event));
    }
}

/// A stored message as the `message.created` event of a streamed post.
fn created(m: &Message) -> LiveEvent {
    let data = serde_json::to_value(m).unwrap_or_default();
    LiveEvent::new(m.conversation_id.clone(), None, kind::MESSAGE_CREATED, data)
}
