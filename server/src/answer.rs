//! The answer engine's interface. The conversations API asks an [`Answerer`]
//! for the assistant's reply and passes on the deltas it writes; the
//! knowledge-base engine ([`crate::engine::Engine`]) implements it;
//! [`Acknowledger`] replies with a fixed acknowledgement, streamed word by
//! word like a real answer.

use async_trait::async_trait;
use lantern_shared::api::{Citation, Message};
use tokio::sync::mpsc;

use crate::store::Site;

/// What the answerer is asked.
#[derive(Debug, Clone)]
pub struct Question {
    pub site: Site,
    pub conversation_id: String,
    pub language: String,
    pub text: String,
    /// Earlier messages, oldest first.
    pub history: Vec<Message>,
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
}

/// Where an answerer writes pieces of its reply as they are produced.
#[derive(Clone)]
pub struct DeltaSink(mpsc::UnboundedSender<String>);

impl DeltaSink {
    pub fn new() -> (DeltaSink, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (DeltaSink(tx), rx)
    }

    /// Sends one piece; a reader that went away is not the writer's problem.
    pub fn send(&self, text: impl Into<String>) {
        let _ = self.0.send(text.into());
    }
}

#[async_trait]
pub trait Answerer: Send + Sync + 'static {
    async fn answer(&self, question: Question, deltas: DeltaSink) -> Answer;
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
        Answer {
            content: text.to_string(),
            citations: Vec::new(),
            incomplete: false,
            handoff: false,
        }
    }
}
