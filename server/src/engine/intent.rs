//! Cheap recognition of small talk and of "I want a human", before any
//! retrieval: greetings and thanks get a friendly line, a request for a
//! person hands the conversation off. English, Arabic, French, Spanish and
//! German phrasings are known.

use crate::knowledge::query;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Greeting,
    Thanks,
    Human,
}

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "greetings",
    "good morning",
    "good afternoon",
    "good evening",
    "yo",
    "مرحبا",
    "مرحباً",
    "مرحبًا",
    "السلام عليكم",
    "سلام",
    "اهلا",
    "أهلا",
    "أهلاً",
    "هلا",
    "صباح الخير",
    "مساء الخير",
    "bonjour",
    "salut",
    "bonsoir",
    "coucou",
    "hola",
    "buenos dias",
    "buenos días",
    "buenas tardes",
    "buenas noches",
    "buenas",
    "hallo",
    "guten tag",
    "guten morgen",
    "guten abend",
    "servus",
    "moin",
];

const THANKS: &[&str] = &[
    "thanks",
    "thank you",
    "thx",
    "ty",
    "cheers",
    "much appreciated",
    "شكرا",
    "شكراً",
    "شكرًا",
    "مشكور",
    "يعطيك العافية",
    "merci",
    "merci beaucoup",
    "gracias",
    "muchas gracias",
    "danke",
    "vielen dank",
    "danke schön",
    "dankeschön",
];

/// Words that may ride along with a greeting or thanks without making it a
/// question ("hi there", "thanks a lot", "great, thanks").
const FILLER: &[&str] = &[
    "there",
    "all",
    "everyone",
    "folks",
    "guys",
    "bot",
    "again",
    "lot",
    "very",
    "much",
    "so",
    "great",
    "ok",
    "okay",
    "cool",
    "perfect",
    "awesome",
    "nice",
    "good",
    "morning",
    "evening",
    "جزيلا",
    "جزيلاً",
    "كثيرا",
    "beaucoup",
    "bien",
    "muchas",
    "vielen",
    "schön",
    "sehr",
];

/// Phrases naming a person to talk to.
const HUMAN_TERMS: &[&str] = &[
    "human",
    "real person",
    "a person",
    "someone",
    "somebody",
    "an agent",
    "live agent",
    "live chat",
    "representative",
    "operator",
    "customer service",
    "support team",
    "staff",
    "موظف",
    "شخص حقيقي",
    "إنسان",
    "انسان",
    "بشري",
    "بشر",
    "خدمة العملاء",
    "الدعم",
    "un humain",
    "une personne",
    "un conseiller",
    "un agent",
    "quelqu'un",
    "un humano",
    "una persona",
    "un agente",
    "alguien",
    "einen menschen",
    "mitarbeiter",
    "einer person",
    "jemandem",
];

/// Wording that makes a mention of a person a request, not a question about one.
const REQUEST_VERBS: &[&str] = &[
    "talk to",
    "talk with",
    "speak to",
    "speak with",
    "connect me",
    "transfer me",
    "i want",
    "i need",
    "i'd like",
    "get me",
    "let me talk",
    "put me through",
    "chat with",
    "أريد",
    "اريد",
    "أبي",
    "ابغى",
    "أبغى",
    "ممكن أتكلم",
    "كلمني",
    "حولني",
    "حوّلني",
    "تحدث",
    "التحدث",
    "je veux",
    "parler à",
    "parler avec",
    "quiero",
    "hablar con",
    "ich möchte",
    "ich will",
    "sprechen",
];

/// The intent of `text`, if it is small talk or a request for a person.
pub fn detect(text: &str) -> Option<Intent> {
    let norm = normalise(text);
    if norm.is_empty() {
        return None;
    }
    let words = norm.split(' ').count();
    let mentions_person = HUMAN_TERMS.iter().any(|t| contains_phrase(&norm, t));
    if mentions_person {
        let asks = REQUEST_VERBS.iter().any(|v| contains_phrase(&norm, v));
        let question_about = [
            "how ",
            "what ",
            "does ",
            "do ",
            "can lantern",
            "is there",
            "why ",
        ]
        .iter()
        .any(|q| norm.starts_with(q));
        if (asks || words <= 3) && !question_about {
            return Some(Intent::Human);
        }
    }
    if only_phrases(&norm, GREETINGS) {
        return Some(Intent::Greeting);
    }
    if only_phrases(&norm, THANKS) || only_phrases(&norm, &[GREETINGS, THANKS].concat()) {
        return Some(Intent::Thanks);
    }
    None
}

/// Lowercase words separated by single spaces; apostrophes kept.
pub(super) fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('’', "'"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn contains_phrase(norm: &str, phrase: &str) -> bool {
    let padded = format!(" {norm} ");
    padded.contains(&format!(" {phrase} "))
}

/// True when `norm` starts with one of `phrases` and nothing but filler
/// remains once every such phrase is taken out.
fn only_phrases(norm: &str, phrases: &[&str]) -> bool {
    let mut rest = format!(" {norm} ");
    let mut found = false;
    // Longest first, so "thank you" goes before "ty".
    let mut sorted: Vec<&str> = phrases.to_vec();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in sorted {
        let needle = format!(" {p} ");
        while let Some(i) = rest.find(&needle) {
            rest.replace_range(i..i + needle.len(), " ");
            found = true;
        }
    }
    found
        && query::terms(&rest)
            .iter()
            .all(|w| FILLER.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_talk_and_handoff_are_recognised() {
        for (text, want) in [
            ("Hello!", Some(Intent::Greeting)),
            ("hi there", Some(Intent::Greeting)),
            ("مرحبا", Some(Intent::Greeting)),
            ("Bonjour", Some(Intent::Greeting)),
            ("Thanks a lot!", Some(Intent::Thanks)),
            ("شكرا جزيلا", Some(Intent::Thanks)),
            ("I want to talk to a human", Some(Intent::Human)),
            ("human", Some(Intent::Human)),
            ("أريد التحدث مع موظف", Some(Intent::Human)),
            ("Je veux parler à une personne", Some(Intent::Human)),
            ("hi, how do I install the widget?", None),
            ("How does the handoff to a human work?", None),
            ("thanks, and how do I set up Postgres?", None),
        ] {
            assert_eq!(detect(text), want, "{text}");
        }
    }
}
