//! Conversation logic, independent of HTTP: who may see what, the welcome
//! flow, posting a message and producing the reply, status changes. Every
//! committed event is published to the live-event hub.

use std::sync::Arc;

use lantern_shared::{
    api::{Conversation, ConversationStatus, CreateConversation, Message, PostMessage, Role},
    event::{AnswerDelta, kind},
};

use crate::{
    answer::{Answer, Answerer, DeltaSink, Question},
    auth::Caller,
    error::ApiError,
    events::{EventHub, LiveEvent},
    markdown,
    store::{Appended, ConversationRecord, NewConversation, NewMessage, Site, Store, rows_rfc3339},
    validate,
};

/// How many earlier messages an answerer sees.
const HISTORY: i64 = 20;

#[derive(Clone)]
pub struct Chat {
    pub store: Arc<dyn Store>,
    pub hub: EventHub,
    pub answerer: Arc<dyn Answerer>,
}

/// A validated message post, ready to store.
pub struct Post {
    pub conversation: ConversationRecord,
    pub new: NewMessage,
    pub language: String,
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
            .store
            .conversation(id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        let visible = match caller {
            Caller::Admin { site_id } => &conv.site_id == site_id,
            Caller::Visitor {
                site_id,
                visitor_id,
            } => {
                &conv.site_id == site_id && conv.visitor_id.as_deref() == Some(visitor_id.as_str())
            }
        };
        if visible {
            Ok(conv)
        } else {
            Err(ApiError::not_found("conversation"))
        }
    }

    pub async fn site(&self, id: &str) -> Result<Site, ApiError> {
        self.store
            .site(id)
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
            Caller::Admin { .. } => None,
        };
        let conv = self
            .store
            .create_conversation(&NewConversation {
                site_id: site.id.clone(),
                visitor_id,
                language: language.clone(),
                metadata,
            })
            .await?;
        let mut messages = Vec::new();
        if !site.welcome_message.trim().is_empty() {
            let welcome = self
                .append(
                    &conv.id,
                    assistant_message(&site.welcome_message, Vec::new(), false),
                )
                .await?;
            messages.push(welcome.message);
        }
        if let Some(text) = initial {
            let post = Post {
                conversation: conv.clone(),
                new: user_message(Role::User, &text, None),
                language,
            };
            let (message, reply) = self.post_and_reply(post).await?;
            messages.push(message);
            messages.extend(reply);
        }
        Ok(to_api(conv, Some(messages)))
    }

    /// Validates a post by `caller` into `conversation`.
    pub async fn prepare_post(
        &self,
        caller: &Caller,
        conversation_id: &str,
        req: PostMessage,
    ) -> Result<Post, ApiError> {
        let conversation = self.visible_conversation(caller, conversation_id).await?;
        let role = req.role.unwrap_or(Role::User);
        match role {
            Role::User => {}
            Role::Agent if caller.is_admin() => {}
            Role::Agent => {
                return Err(ApiError::Forbidden(
                    "only an admin key may post as an agent".into(),
                ));
            }
            Role::Assistant | Role::System => {
                return Err(ApiError::field("role", "must be \"user\" or \"agent\""));
            }
        }
        let content = validate::text("content", &req.content, validate::MAX_CONTENT_CHARS)?;
        let client_id = match &req.client_message_id {
            Some(id) => Some(validate::client_id("client_message_id", id)?),
            None => None,
        };
        let language = match &req.language {
            Some(l) => validate::language("language", l)?,
            None => conversation.language.clone(),
        };
        if conversation.status == ConversationStatus::Closed {
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        Ok(Post {
            conversation,
            new: user_message(role, &content, client_id),
            language,
        })
    }

    /// Stores the posted message (committed before this returns) and says
    /// whether the assistant should answer it.
    pub async fn store_post(&self, post: &Post) -> Result<(Appended, bool), ApiError> {
        let appended = self.append(&post.conversation.id, post.new.clone()).await?;
        let fresh = appended.event.is_some();
        let answer = fresh
            && post.new.role == Role::User
            && post.conversation.status == ConversationStatus::Open;
        Ok((appended, answer))
    }

    /// For a repeated post: the reply already stored after it, if any.
    pub async fn existing_reply(&self, message: &Message) -> Result<Option<Message>, ApiError> {
        let next = self
            .store
            .messages(&message.conversation_id, message.seq, 1)
            .await?;
        Ok(next
            .into_iter()
            .find(|m| matches!(m.role, Role::Assistant | Role::Agent)))
    }

    /// Stores the post and, when due, the reply — the whole non-streaming path.
    pub async fn post_and_reply(&self, post: Post) -> Result<(Message, Option<Message>), ApiError> {
        let (appended, answer) = self.store_post(&post).await?;
        let reply = if answer {
            Some(
                self.reply_detached(post, appended.message.clone(), None)
                    .await?,
            )
        } else if appended.event.is_none() {
            self.existing_reply(&appended.message).await?
        } else {
            None
        };
        Ok((appended.message, reply))
    }

    /// Produces and stores the reply in a task of its own, so a client that
    /// disconnects mid-answer does not lose it. Deltas go to the hub and, when
    /// given, to `watcher` (a streaming response).
    pub async fn reply_detached(
        &self,
        post: Post,
        question: Message,
        watcher: Option<tokio::sync::mpsc::UnboundedSender<LiveEvent>>,
    ) -> Result<Message, ApiError> {
        let chat = self.clone();
        let task = tokio::spawn(async move { chat.reply(post, question, watcher).await });
        task.await.map_err(|e| ApiError::Internal(e.into()))?
    }

    async fn reply(
        &self,
        post: Post,
        question: Message,
        watcher: Option<tokio::sync::mpsc::UnboundedSender<LiveEvent>>,
    ) -> Result<Message, ApiError> {
        let site = self.site(&post.conversation.site_id).await?;
        let from = (question.seq - HISTORY).max(0);
        let mut history = self
            .store
            .messages(&post.conversation.id, from, HISTORY)
            .await?;
        history.retain(|m| m.seq < question.seq);
        let (sink, mut pieces) = DeltaSink::new();
        let conversation_id = post.conversation.id.clone();
        let hub = self.hub.clone();
        let forward = tokio::spawn(async move {
            let mut index = 0u32;
            while let Some(text) = pieces.recv().await {
                let delta = AnswerDelta {
                    conversation_id: conversation_id.clone(),
                    reply_to: question.seq,
                    index,
                    text,
                };
                index += 1;
                let event = LiveEvent {
                    conversation_id: conversation_id.clone(),
                    id: None,
                    kind: kind::ANSWER_DELTA.into(),
                    data: serde_json::to_value(&delta).unwrap_or_default(),
                };
                if let Some(w) = &watcher {
                    let _ = w.send(event.clone());
                }
                hub.publish(event);
            }
        });
        let Answer {
            content,
            citations,
            incomplete,
            handoff,
        } = self
            .answerer
            .answer(
                Question {
                    site,
                    conversation_id: post.conversation.id.clone(),
                    language: post.language.clone(),
                    text: question.content.clone(),
                    history,
                },
                sink,
            )
            .await;
        // The sink is dropped with the answer: the forwarder drains and ends,
        // so every delta goes out before the stored reply.
        let _ = forward.await;
        let appended = self
            .append(
                &post.conversation.id,
                assistant_message(&content, citations, incomplete),
            )
            .await?;
        if handoff {
            // After the reply, so the visitor reads it before the status
            // changes; a human takes the conversation from here.
            let (_, event) = self
                .store
                .set_status(&post.conversation.id, ConversationStatus::Handoff)
                .await?;
            if let Some(event) = event {
                self.hub.publish(event.into());
            }
        }
        Ok(appended.message)
    }

    /// Appends a message and publishes its event.
    pub async fn append(
        &self,
        conversation_id: &str,
        new: NewMessage,
    ) -> Result<Appended, ApiError> {
        let appended = self.store.append_message(conversation_id, &new).await?;
        if let Some(event) = &appended.event {
            self.hub.publish(event.clone().into());
        }
        Ok(appended)
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
        let (conv, event) = self.store.set_status(&conv.id, status).await?;
        if let Some(event) = event {
            self.hub.publish(event.into());
        }
        Ok(to_api(conv, None))
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
    }
}

fn assistant_message(
    content: &str,
    citations: Vec<lantern_shared::api::Citation>,
    incomplete: bool,
) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        content: content.to_string(),
        html: markdown::render(content),
        citations,
        incomplete,
        client_message_id: None,
    }
}

/// The API shape of a conversation record.
pub fn to_api(c: ConversationRecord, messages: Option<Vec<Message>>) -> Conversation {
    Conversation {
        id: c.id,
        site_id: c.site_id,
        status: c.status,
        language: c.language,
        metadata: c.metadata,
        created_at: rows_rfc3339(c.created_at),
        updated_at: rows_rfc3339(c.updated_at),
        messages,
    }
}
