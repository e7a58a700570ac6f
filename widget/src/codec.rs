//! The API's shapes the widget reads and writes, mapped by hand to and from
//! [`Json`] (see `json.rs` for why not serde). Decoders follow the server's
//! serde rules: optional fields may be missing or `null`, `citations` may be
//! missing, unknown fields are ignored.

use lantern_shared::api::{
    Attachment, Author, Citation, Conversation, ConversationStatus, CreateConversation, Message,
    Page, PostFeedback, PostMessage, PostMessageResponse, Role, SiteConfig, Theme, VisitorToken,
};
use lantern_shared::event::{AnswerDelta, StatusChanged};
use lantern_shared::inbox::{LeaveContact, SetTyping};

use crate::config::{Identity, MountConfig};
use crate::json::{Json, Writer};

/// A type the widget decodes from the API's JSON.
pub trait FromJson: Sized {
    fn from_json(v: &Json) -> Option<Self>;
}

/// Decodes `text`; `None` when it is not JSON or not a `T`.
pub fn decode<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&Json::parse(text)?)
}

fn string(v: &Json, key: &str) -> Option<String> {
    v.get(key).str().map(str::to_string)
}

/// A missing or `null` field is `None`; any other non-string is an error.
fn opt_string(v: &Json, key: &str) -> Option<Option<String>> {
    Option::from_json(v.get(key))
}

/// An array field; missing or `null` reads as empty.
fn list<T: FromJson>(v: &Json, key: &str) -> Option<Vec<T>> {
    Option::<Vec<T>>::from_json(v.get(key)).map(Option::unwrap_or_default)
}

impl FromJson for String {
    fn from_json(v: &Json) -> Option<Self> {
        v.str().map(str::to_string)
    }
}

/// `null` (or missing) is `None`; anything else must be a `T`.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: &Json) -> Option<Self> {
        match v {
            Json::Null => Some(None),
            other => T::from_json(other).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Json) -> Option<Self> {
        match v {
            Json::Array(items) => items.iter().map(T::from_json).collect(),
            _ => None,
        }
    }
}

impl FromJson for SiteConfig {
    fn from_json(v: &Json) -> Option<Self> {
        Some(SiteConfig {
            site_id: string(v, "site_id")?,
            name: string(v, "name")?,
            bot_name: string(v, "bot_name")?,
            welcome_message: string(v, "welcome_message")?,
            languages: list(v, "languages")?,
            theme: Theme {
                color: string(v.get("theme"), "color")?,
            },
            allowed_origins: list(v, "allowed_origins")?,
            typing_preview: *v.get("typing_preview") == Json::Bool(true),
            attachments_enabled: *v.get("attachments_enabled") != Json::Bool(false),
        })
    }
}

impl FromJson for VisitorToken {
    fn from_json(v: &Json) -> Option<Self> {
        Some(VisitorToken {
            visitor_id: string(v, "visitor_id")?,
            token: string(v, "token")?,
            expires_at: string(v, "expires_at")?,
        })
    }
}

impl FromJson for Citation {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Citation {
            title: string(v, "title")?,
            url: opt_string(v, "url")?,
        })
    }
}

impl FromJson for Message {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Message {
            id: string(v, "id")?,
            conversation_id: string(v, "conversation_id")?,
            seq: v.get("seq").int()?,
            role: Role::parse(v.get("role").str()?)?,
            content: string(v, "content")?,
            html: string(v, "html")?,
            citations: list(v, "citations")?,
            incomplete: matches!(v.get("incomplete"), Json::Bool(true)),
            client_message_id: opt_string(v, "client_message_id")?,
            // The server never sends notes to a visitor.
            internal: false,
            author: match v.get("author") {
                Json::Null => None,
                a => Some(Author {
                    id: string(a, "id")?,
                    name: string(a, "name")?,
                }),
            },
            rating: None,
            attachments: list(v, "attachments")?,
            created_at: string(v, "created_at")?,
        })
    }
}

/// A dimension (`width`, `height`): a missing or unfitting one reads as none.
fn dim(v: &Json, key: &str) -> Option<u32> {
    v.get(key).int().and_then(|n| u32::try_from(n).ok())
}

impl FromJson for Attachment {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Attachment {
            id: string(v, "id")?,
            name: string(v, "name")?,
            media_type: string(v, "type")?,
            size: u64::try_from(v.get("size").int()?).ok()?,
            width: dim(v, "width"),
            height: dim(v, "height"),
            url: string(v, "url")?,
            thumbnail_url: opt_string(v, "thumbnail_url")?,
        })
    }
}

impl FromJson for Conversation {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Conversation {
            id: string(v, "id")?,
            site_id: string(v, "site_id")?,
            visitor_id: None,
            status: ConversationStatus::parse(v.get("status").str()?)?,
            language: string(v, "language")?,
            // The integrator's metadata is not the widget's to read.
            metadata: Default::default(),
            created_at: string(v, "created_at")?,
            updated_at: string(v, "updated_at")?,
            // The inbox's fields are not the widget's to read.
            assignee_id: None,
            waiting_since: None,
            pinned: false,
            archived_at: None,
            snoozed_until: None,
            unread: 0,
            page_url: None,
            referrer: None,
            messages: Option::from_json(v.get("messages"))?,
        })
    }
}

impl<T: FromJson> FromJson for Page<T> {
    fn from_json(v: &Json) -> Option<Self> {
        Some(Page {
            items: list(v, "items")?,
            next_cursor: opt_string(v, "next_cursor")?,
        })
    }
}

impl FromJson for PostMessageResponse {
    fn from_json(v: &Json) -> Option<Self> {
        Some(PostMessageResponse {
            message: Message::from_json(v.get("message"))?,
            reply: Option::from_json(v.get("reply"))?,
            reopened: false,
        })
    }
}

impl FromJson for AnswerDelta {
    fn from_json(v: &Json) -> Option<Self> {
        Some(AnswerDelta {
            conversation_id: string(v, "conversation_id")?,
            reply_to: v.get("reply_to").int()?,
            index: u32::try_from(v.get("index").int()?).ok()?,
            text: string(v, "text")?,
        })
    }
}

impl FromJson for StatusChanged {
    fn from_json(v: &Json) -> Option<Self> {
        Some(StatusChanged {
            conversation_id: string(v, "conversation_id")?,
            status: ConversationStatus::parse(v.get("status").str()?)?,
        })
    }
}

impl FromJson for MountConfig {
    fn from_json(v: &Json) -> Option<Self> {
        Some(MountConfig {
            site: string(v, "site")?,
            api: string(v, "api")?,
            lang: string(v, "lang").unwrap_or_default(),
            color: opt_string(v, "color")?,
            open: matches!(v.get("open"), Json::Bool(true)),
            who: Identity::from_json(v.get("who"))?,
        })
    }
}

/// Lenient: what the host page passes may hold anything; fields of the
/// wrong type are left out (the server then says what it misses).
impl FromJson for Identity {
    fn from_json(v: &Json) -> Option<Self> {
        let text = |k| v.get(k).str().filter(|s| !s.is_empty()).map(str::to_string);
        let mut profile = Writer::new()
            .opt("name", text("name").as_deref())
            .opt("email", text("email").as_deref());
        if let Json::Object(members) = v.get("attributes") {
            profile = profile.flat("attributes", members);
        }
        let profile = profile.finish();
        Some(Identity {
            user_id: text("user_id"),
            user_hash: text("user_hash"),
            profile: profile[1..profile.len() - 1].to_string(),
        })
    }
}

/// A request body the widget sends, as JSON text.
pub trait ToJson {
    fn to_json(&self) -> String;
}

/// `POST /sites/{id}/visitors`: who the host page says the visitor is.
impl ToJson for Identity {
    fn to_json(&self) -> String {
        Writer::new()
            .opt("user_id", self.user_id.as_deref())
            .opt("user_hash", self.user_hash.as_deref())
            .members(&self.profile)
            .finish()
    }
}

/// The widget never sends `initial_message` or `metadata`.
impl ToJson for CreateConversation {
    fn to_json(&self) -> String {
        Writer::new()
            .opt("language", self.language.as_deref())
            .opt("page_url", self.page_url.as_deref())
            .opt("referrer", self.referrer.as_deref())
            .opt("time_zone", self.time_zone.as_deref())
            .finish()
    }
}

/// The widget posts as the visitor: no `role`.
impl ToJson for PostMessage {
    fn to_json(&self) -> String {
        Writer::new()
            .str("content", &self.content)
            .opt("client_message_id", self.client_message_id.as_deref())
            .opt("language", self.language.as_deref())
            .strs("attachment_ids", &self.attachment_ids)
            .finish()
    }
}

/// The widget only says "typing" (the server learns of a stop from the
/// message that follows, or the agent's side times it out), with the
/// draft when the site shows it to agents.
impl ToJson for SetTyping {
    fn to_json(&self) -> String {
        // `{"draft":…}` or `{}`, behind `{"typing":…`.
        let draft = Writer::new().opt("draft", self.draft.as_deref()).finish();
        let sep = if draft.len() > 2 { "," } else { "" };
        format!("{{\"typing\":{}{sep}{}", self.typing, &draft[1..])
    }
}

impl ToJson for LeaveContact {
    fn to_json(&self) -> String {
        Writer::new().str("email", &self.email).finish()
    }
}

impl ToJson for PostFeedback {
    fn to_json(&self) -> String {
        Writer::new()
            .str("rating", self.rating.as_str())
            .opt("comment", self.comment.as_deref())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_shared::api::Rating;
    use serde::{Serialize, de::DeserializeOwned};

    /// What the server writes (serde) decodes to the same value here.
    fn round_trip<T: FromJson + Serialize + PartialEq + std::fmt::Debug>(value: &T) {
        let text = serde_json::to_string(value).expect("serialises");
        assert_eq!(decode::<T>(&text).as_ref(), Some(value), "{text}");
    }

    /// What the widget writes is what the server's serde types accept
    /// (they refuse unknown fields) and means the same.
    fn accepted<T: ToJson + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
        let text = value.to_json();
        let back: T = serde_json::from_str(&text).expect("the server accepts it");
        assert_eq!(&back, value, "{text}");
    }

    fn message(seq: i64, role: Role) -> Message {
        Message {
            id: format!("m{seq}"),
            conversation_id: "c1".into(),
            seq,
            role,
            content: "**hi** \"there\"\n😀".into(),
            html: "<p><strong>hi</strong></p>".into(),
            citations: vec![
                Citation {
                    title: "Pricing".into(),
                    url: Some("https://example.com/p?a=1&b=2".into()),
                },
                Citation {
                    title: "No link".into(),
                    url: None,
                },
            ],
            incomplete: seq == 3,
            client_message_id: (role == Role::User).then(|| "w1-2".into()),
            internal: false,
            author: (role == Role::Agent).then(|| Author {
                id: "u1".into(),
                name: "Sam".into(),
            }),
            rating: None,
            attachments: match role {
                Role::User => vec![Attachment {
                    id: "a1".into(),
                    name: "shot \"1\".png".into(),
                    media_type: "image/png".into(),
                    size: 48_213,
                    width: Some(1280),
                    height: Some(720),
                    url: "/api/v1/attachments/a1".into(),
                    thumbnail_url: Some("/api/v1/attachments/a1/thumbnail".into()),
                }],
                Role::Agent => vec![Attachment {
                    id: "a2".into(),
                    name: "steps.txt".into(),
                    media_type: "text/plain".into(),
                    size: 31,
                    width: None,
                    height: None,
                    url: "/api/v1/attachments/a2".into(),
                    thumbnail_url: None,
                }],
                _ => Vec::new(),
            },
            created_at: "2026-11-22T10:00:00Z".into(),
        }
    }

    #[test]
    fn decodes_the_servers_output_of_every_shape_it_reads() {
        round_trip(&SiteConfig {
            site_id: "demo".into(),
            name: "Demo".into(),
            bot_name: "Lantern".into(),
            welcome_message: "Hi! مرحبا".into(),
            languages: vec!["en".into(), "ar".into()],
            theme: Theme {
                color: "#2563eb".into(),
            },
            allowed_origins: vec!["*".into()],
            typing_preview: true,
            attachments_enabled: false,
        });
        round_trip(&VisitorToken {
            visitor_id: "v".into(),
            token: "lv_x".into(),
            expires_at: "2026-11-23T00:00:00Z".into(),
        });
        for role in [Role::User, Role::Assistant, Role::Agent, Role::System] {
            round_trip(&message(2, role));
        }
        round_trip(&message(3, Role::Assistant));
        round_trip(&Conversation {
            id: "c1".into(),
            site_id: "demo".into(),
            visitor_id: None,
            status: ConversationStatus::Handoff,
            language: "en".into(),
            metadata: serde_json::Value::Null,
            created_at: "t".into(),
            updated_at: "u".into(),
            assignee_id: None,
            waiting_since: None,
            snoozed_until: None,
            unread: 0,
            page_url: None,
            referrer: None,
            pinned: false,
            archived_at: None,
            messages: Some(vec![message(1, Role::Assistant)]),
        });
        round_trip(&Page {
            items: vec![message(1, Role::Assistant), message(2, Role::User)],
            next_cursor: Some("2".into()),
        });
        round_trip(&Page::<Message> {
            items: vec![],
            next_cursor: None,
        });
        round_trip(&PostMessageResponse {
            message: message(2, Role::User),
            reply: Some(message(3, Role::Assistant)),
            reopened: false,
        });
        round_trip(&PostMessageResponse {
            message: message(2, Role::User),
            reply: None,
            reopened: false,
        });
        round_trip(&AnswerDelta {
            conversation_id: "c1".into(),
            reply_to: 2,
            index: 7,
            text: " wor".into(),
        });
        for status in [
            ConversationStatus::Open,
            ConversationStatus::Handoff,
            ConversationStatus::Closed,
        ] {
            round_trip(&StatusChanged {
                conversation_id: "c1".into(),
                status,
            });
        }
    }

    #[test]
    fn conversation_metadata_is_skipped_not_refused() {
        let text = r#"{"id":"c","site_id":"s","status":"open","language":"en",
            "metadata":{"plan":"pro","n":[1,2.5]},"created_at":"t","updated_at":"u"}"#;
        let c: Conversation = decode(text).expect("decodes");
        assert_eq!((c.id.as_str(), c.messages), ("c", None));
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert!(decode::<Message>(r#"{"id":"m"}"#).is_none());
        let mut m = serde_json::to_value(message(2, Role::User)).expect("serialises");
        m["role"] = "robot".into();
        assert!(decode::<Message>(&m.to_string()).is_none());
        m["role"] = "user".into();
        m["seq"] = 2.5.into();
        assert!(decode::<Message>(&m.to_string()).is_none());
        assert!(
            decode::<AnswerDelta>(r#"{"conversation_id":"c","reply_to":1,"index":-1,"text":""}"#)
                .is_none()
        );
    }

    #[test]
    fn request_bodies_are_what_the_server_expects() {
        use lantern_shared::api::CreateVisitor;
        let sent = |who: &Identity| -> CreateVisitor {
            serde_json::from_str(&who.to_json()).expect("the server accepts it")
        };
        assert_eq!(sent(&Identity::default()), CreateVisitor::default());
        let who = decode::<Identity>(
            r#"{"user_id":"u-1","user_hash":"ab12","name":"Ann \"A\"","email":"a@b.example","attributes":{"plan":"pro","seats":3}}"#,
        )
        .expect("identity");
        let sent = sent(&who);
        assert_eq!(sent.user_hash.as_deref(), Some("ab12"));
        assert_eq!(sent.name.as_deref(), Some("Ann \"A\""));
        assert_eq!(
            sent.attributes,
            Some(serde_json::json!({"plan": "pro", "seats": 3}))
        );
        accepted(&CreateConversation {
            language: Some("ar".into()),
            page_url: Some("https://shop.example/p?a=1".into()),
            referrer: Some("https://search.example/".into()),
            ..Default::default()
        });
        accepted(&PostMessage {
            content: "line 1\nline \"2\" \\ </script> \u{7} 😀".into(),
            client_message_id: Some("w1-2".into()),
            ..Default::default()
        });
        accepted(&PostMessage {
            content: String::new(),
            client_message_id: Some("w1-3".into()),
            attachment_ids: vec!["a1".into(), "a\"2".into()],
            ..Default::default()
        });
        accepted(&LeaveContact {
            email: "vi@example.com".into(),
        });
        accepted(&SetTyping {
            typing: true,
            draft: None,
        });
        accepted(&SetTyping {
            typing: false,
            draft: None,
        });
        accepted(&SetTyping {
            typing: true,
            draft: Some("Where is \"my\" order,}".into()),
        });
        for rating in [Rating::Up, Rating::Down] {
            accepted(&PostFeedback {
                rating,
                comment: None,
            });
        }
    }
}
