//! The answer engine's interface. The conversations API asks an [`Answerer`]
//! for the assistant's reply and passes on the deltas it writes; the
//! knowledge-base engine ([`crate::engine::Engine`]) implements it;
//! [`Acknowledger`] replies with a fixed acknowledgement, streamed word by
//! word like a real answer.

use async_trait::async_trait;
use lantern_shared::api::{Citation, Message};
use std::sync::Arc;

use crate::db::Site;

/// What the answerer is asked.
#[derive(Debug, Clone)]
pub struct Question {
    pub site: Site,
    pub conversation_id: String,
    /// The visitor the conversation is with (none for one an integrator
    /// started with the admin key): what the assistant may remember is theirs.
    pub visitor_id: Option<String>,
    pub language: String,
    pub text: String,
    /// Earlier messages, oldest first.
    pub history: Vec<Message>,
    /// What is known about the visitor asking (loaded only for answerers
    /// that read the history).
    pub known: Known,
}

/// What Lantern knows about a returning visitor: the name they gave (through
/// a verified identify, or a member), the memories kept about them (those
/// that match the question first, then the newest), and a short summary of
/// their earlier conversations, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub name: Option<String>,
    pub memories: Vec<Remembered>,
    pub earlier: Vec<Earlier>,
}

/// One earlier conversation, summed up from what is stored (no model is
/// asked to summarise: the first and last question say what it was about).
#[derive(Debug, Clone, PartialEq)]
pub struct Earlier {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `handed over to the team`, `closed` or `still open`.
    pub outcome: &'static str,
    pub messages: i64,
    pub first_question: String,
    /// The last question, when it is not the first.
    pub last_question: Option<String>,
}

/// One memory, as the answerer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    pub id: String,
    pub content: String,
    /// `visitor` or `assistant` (what the visitor told), or `member` (the
    /// team's note about them).
    pub source: String,
}

impl Remembered {
    /// What the visitor told (themselves or through the assistant), as
    /// opposed to a note the site's team keeps.
    pub fn from_visitor(&self) -> bool {
        self.source != "member"
    }
}

/// What a reply changes in what is remembered about the visitor, applied
/// once the reply is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryChange {
    /// Facts to keep (source `assistant`).
    pub save: Vec<String>,
    /// Memories to forget, by id.
    pub forget: Vec<String>,
    /// Forget everything the visitor told (their own and the assistant's
    /// memories; members' notes stay).
    pub forget_all: bool,
}

impl MemoryChange {
    pub fn is_empty(&self) -> bool {
        self.save.is_empty() && self.forget.is_empty() && !self.forget_all
    }
}

/// The finished reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub content: String,
    pub citations: Vec<Citation>,
    /// The answer was cut short (e.g. the LLM stream broke).
    pub incomplete: bool,
    /// The visitor asked for a person: the conversation goes to `handoff`
    /// once this reply is stored.
    pub handoff: bool,
    /// How the reply was decided and the retrieval scores behind it,
    /// stored with the reply for the owner's insights.
    pub retrieval: Option<serde_json::Value>,
    /// What to remember or forget about the visitor.
    pub memory: MemoryChange,
}

impl Answer {
    /// A finished reply of fixed text, citing nothing.
    pub fn plain(text: &str) -> Answer {
        Answer {
            content: text.to_string(),
            citations: Vec::new(),
            incomplete: false,
            handoff: false,
            retrieval: None,
            memory: MemoryChange::default(),
        }
    }
}

/// Where an answerer writes pieces of its reply as they are produced. Each
/// piece goes straight to its readers (the live-event hub, a streamed
/// response) from the answerer's own task: no channel, no forwarding task.
#[derive(Clone)]
pub struct DeltaSink(Option<Arc<dyn Fn(String) + Send + Sync>>);

impl DeltaSink {
    /// A sink handing each piece to `deliver`.
    pub fn new(deliver: impl Fn(String) + Send + Sync + 'static) -> DeltaSink {
        DeltaSink(Some(Arc::new(deliver)))
    }

    /// A sink nobody reads: the reply is only wanted whole.
    pub fn discard() -> DeltaSink {
        DeltaSink(None)
    }

    /// Whether anyone reads the pieces (else writers may skip making them).
    pub fn is_read(&self) -> bool {
        self.0.is_some()
    }

    /// Sends one piece; a reader that went away is not the writer's problem.
    pub fn send(&self, text: impl Into<String>) {
        if let Some(deliver) = &self.0 {
            deliver(text.into());
        }
    }
}

#[async_trait]
pub trait Answerer: Send + Sync + 'static {
    async fn answer(&self, question: Question, deltas: DeltaSink) -> Answer;

    /// Whether [`Question::history`] is read; when not, it is not loaded.
    fn wants_history(&self) -> bool {
        true
    }

    /// Whether [`Question::known`] is read for `text` (an LLM's context, or
    /// a visitor asking what is remembered); when not, the three reads
    /// behind it are skipped.
    fn wants_known(&self, _text: &str) -> bool {
        false
    }
}

/// Replies with a fixed acknowledgement in the conversation's language.
pub struct Acknowledger;

fn acknowledgement(language: &str) -> &'static str {
    match language.split('-').next().unwrap_or("en") {
        "ar" => "شكرًا لرسالتك! لقد وصلتنا وسنرد عليك قريبًا.",
        "fr" => "Merci pour votre message ! Il a bien été reçu.",
        "es" => "¡Gracias por tu mensaje! Lo hemos recibido.",
        "de" => "Danke für Ihre Nachricht! Sie ist bei uns angekommen.",
        _ => "Thanks for your message! It has been received.",
    }
}

#[async_trait]
impl Answerer for Acknowledger {
    async fn answer(&self, question: Question, deltas: DeltaSink) -> Answer {
        let text = acknowledgement(&question.language);
        for (i, word) in text.split(' ').enumerate() {
            deltas.send(if i == 0 {
                word.to_string()
            } else {
                format!(" {word}")
            });
        }
        Answer::plain(text)
    }
}
