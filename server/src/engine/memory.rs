//! A visitor asking what is remembered about them, or to forget it: "what
//! do you remember about me?", "forget that", "forget everything about
//! me", in the five languages the engine speaks. Answered with or without
//! an LLM, from what is actually stored, never from a model's guess: the
//! visitor sees exactly what the assistant would be told.

use super::intent::{contains_phrase, normalise};
use crate::answer::{Known, MemoryChange, Remembered};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// What is remembered about me?
    Recall,
    /// Forget the last thing remembered.
    ForgetLast,
    /// Forget everything I told.
    ForgetAll,
}

const RECALL: &[&str] = &[
    "what do you remember about me",
    "what do you know about me",
    "what have you remembered about me",
    "what have you saved about me",
    "what did you save about me",
    "what do you have on me",
    "do you remember me",
    "que sais tu de moi",
    "que savez vous de moi",
    "qu'est ce que tu sais de moi",
    "qu'est ce que vous savez de moi",
    "de quoi te souviens tu",
    "de quoi vous souvenez vous",
    "que retiens tu de moi",
    "qué recuerdas de mí",
    "que recuerdas de mi",
    "qué sabes de mí",
    "que sabes de mi",
    "qué sabes sobre mí",
    "was weißt du über mich",
    "was weisst du über mich",
    "was wissen sie über mich",
    "woran erinnerst du dich",
    "was hast du dir gemerkt",
    "ماذا تتذكر عني",
    "ماذا تعرف عني",
    "ماذا تعرف عنّي",
    "ماذا حفظت عني",
    "شو بتعرف عني",
];

const FORGET_ALL: &[&str] = &[
    "forget everything",
    "forget everything about me",
    "forget all about me",
    "forget everything i told you",
    "forget me",
    "delete everything you know about me",
    "oublie tout",
    "oubliez tout",
    "oublie moi",
    "olvida todo",
    "olvídalo todo",
    "olvidalo todo",
    "vergiss alles",
    "vergessen sie alles",
    "انس كل شيء",
    "انسى كل شيء",
    "انس كل شي",
];

const FORGET_LAST: &[&str] = &[
    "forget that",
    "forget it",
    "forget what i said",
    "forget what i just said",
    "please forget that",
    "oublie ça",
    "oublie ca",
    "oubliez ça",
    "oubliez cela",
    "olvida eso",
    "olvídalo",
    "olvidalo",
    "vergiss das",
    "vergessen sie das",
    "انس ذلك",
    "انسى ذلك",
    "انس هذا",
    "انسى هذا",
];

/// Words that may ride along without changing the request.
/// How a clause that tells something about the visitor starts, in the
/// five languages: "my order number is …", "I use …", "je m'appelle …".
/// Only a clause's start counts, so "can I use it offline?" is a question.
const FACT_STARTS: &[&str] = &[
    "my name is",
    "my order number is",
    "my order is",
    "my email is",
    "my email address is",
    "my phone number is",
    "my account is",
    "my plan is",
    "my company is",
    "call me",
    "i use",
    "i'm using",
    "i am using",
    "i'm on",
    "i am on",
    "i live in",
    "i prefer",
    "i work at",
    "i work for",
    "je m'appelle",
    "mon nom est",
    "mon numéro de commande est",
    "ma commande est",
    "mon email est",
    "mon adresse email est",
    "j'utilise",
    "je suis sur",
    "j'habite",
    "je préfère",
    "je travaille chez",
    "ich heiße",
    "ich heisse",
    "mein name ist",
    "meine bestellnummer ist",
    "meine bestellung ist",
    "meine e mail ist",
    "ich nutze",
    "ich benutze",
    "ich verwende",
    "ich wohne in",
    "ich bevorzuge",
    "ich arbeite bei",
    "me llamo",
    "mi nombre es",
    "mi número de pedido es",
    "mi pedido es",
    "mi correo es",
    "uso el",
    "uso la",
    "vivo en",
    "prefiero",
    "trabajo en",
    "اسمي",
    "رقم طلبي",
    "بريدي الإلكتروني",
    "أستخدم",
    "أسكن في",
    "أعيش في",
    "أفضل",
];

/// Whether `text` tells something lasting about the visitor (a clause
/// starting as in [`FACT_STARTS`]), which the LLM may keep even when the
/// knowledge base has nothing to say about the message.
pub fn states_fact(text: &str) -> bool {
    text.split(['.', '!', '?', ',', ';', '\n', '؟', '،', '¿', '¡'])
        .map(normalise)
        .any(|clause| {
            FACT_STARTS
                .iter()
                .any(|p| clause == *p || clause.strip_prefix(p).is_some_and(|rest| rest.starts_with(' ')))
        })
}

const POLITE: &[&str] = &[
    "please", "can", "you", "could", "now", "ok", "okay", "and", "s'il", "te", "plaît", "plait",
    "vous", "por", "favor", "bitte", "من", "فضلك", "لو", "سمحت",
];

/// The request in `text`, if it is one of these.
pub fn detect(text: &str) -> Option<Ask> {
    let norm = normalise(text);
    if norm.is_empty() || norm.split(' ').count() > 12 {
        return None;
    }
    if RECALL.iter().any(|p| contains_phrase(&norm, p)) {
        return Some(Ask::Recall);
    }
    // "Forget" alone must be the whole message (give or take politeness),
    // so "how do I make the app forget my card?" stays a question.
    for (phrases, ask) in [(FORGET_ALL, Ask::ForgetAll), (FORGET_LAST, Ask::ForgetLast)] {
        for p in phrases {
            if let Some(rest) = without(&norm, p)
                && rest.split(' ').filter(|w| !w.is_empty()).all(|w| POLITE.contains(&w))
            {
                return Some(ask);
            }
        }
    }
    None
}

/// The reply to `ask` and what it changes, in `language`. What is shown
/// and forgotten is what the visitor told (members' notes are the team's,
/// and said to exist without being shown).
pub fn answer(ask: Ask, known: &Known, language: &str) -> (String, MemoryChange) {
    let told: Vec<&Remembered> = known.memories.iter().filter(|m| m.from_visitor()).collect();
    let notes = known.memories.len() > told.len();
    let t = Phrases::for_language(language);
    let mut change = MemoryChange::default();
    let mut text = match ask {
        Ask::Recall if told.is_empty() && known.name.is_none() => t.nothing.to_string(),
        Ask::Recall => {
            let mut out = format!("{}\n", t.recall);
            if let Some(name) = &known.name {
                out.push_str(&format!("\n- {}: {}", t.name, markdown_safe(name)));
            }
            for m in &told {
                out.push_str(&format!("\n- {}", markdown_safe(&m.content)));
            }
            if !told.is_empty() {
                out.push_str(&format!("\n\n{}", t.how_to_forget));
            }
            out
        }
        Ask::ForgetLast => match told.first() {
            Some(last) => {
                change.forget.push(last.id.clone());
                format!("{} “{}”", t.forgot_one, markdown_safe(&last.content))
            }
            None => t.nothing.to_string(),
        },
        Ask::ForgetAll if told.is_empty() => t.nothing.to_string(),
        Ask::ForgetAll => {
            change.forget_all = true;
            t.forgot_all.to_string()
        }
    };
    if notes {
        text.push_str(&format!("\n\n{}", t.team_notes));
    }
    (text, change)
}

/// A stored fact, shown in a markdown reply: one line, no markup of its own.
fn markdown_safe(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if "*_`[]<>#|\\".contains(c) { ' ' } else { c })
        .collect()
}

struct Phrases {
    recall: &'static str,
    name: &'static str,
    how_to_forget: &'static str,
    nothing: &'static str,
    forgot_one: &'static str,
    forgot_all: &'static str,
    team_notes: &'static str,
}

impl Phrases {
    fn for_language(language: &str) -> Phrases {
        match language.split('-').next().unwrap_or("en") {
            "fr" => Phrases {
                recall: "Voici ce que je garde en mémoire à votre sujet :",
                name: "Votre nom",
                how_to_forget: "Dites « oublie ça » pour effacer le dernier point, ou « oublie tout ».",
                nothing: "Je ne garde rien en mémoire à votre sujet.",
                forgot_one: "C'est oublié :",
                forgot_all: "C'est fait : j'ai oublié tout ce que vous m'aviez dit.",
                team_notes: "L'équipe peut aussi garder des notes sur vos échanges ; demandez-lui si vous souhaitez les voir ou les effacer.",
            },
            "es" => Phrases {
                recall: "Esto es lo que recuerdo de ti:",
                name: "Tu nombre",
                how_to_forget: "Di «olvida eso» para borrar lo último, o «olvida todo».",
                nothing: "No recuerdo nada sobre ti.",
                forgot_one: "Olvidado:",
                forgot_all: "Hecho: he olvidado todo lo que me contaste.",
                team_notes: "El equipo también puede guardar notas sobre tus conversaciones; pídeselas si quieres verlas o borrarlas.",
            },
            "de" => Phrases {
                recall: "Das habe ich mir über Sie gemerkt:",
                name: "Ihr Name",
                how_to_forget: "Sagen Sie „vergiss das“, um den letzten Punkt zu löschen, oder „vergiss alles“.",
                nothing: "Ich habe mir nichts über Sie gemerkt.",
                forgot_one: "Vergessen:",
                forgot_all: "Erledigt: Ich habe alles vergessen, was Sie mir erzählt haben.",
                team_notes: "Das Team kann sich auch Notizen zu Ihren Gesprächen machen; fragen Sie dort, wenn Sie sie sehen oder löschen lassen möchten.",
            },
            "ar" => Phrases {
                recall: "هذا ما أتذكره عنك:",
                name: "اسمك",
                how_to_forget: "قل «انس ذلك» لحذف آخر معلومة، أو «انس كل شيء».",
                nothing: "لا أتذكر أي شيء عنك.",
                forgot_one: "تم النسيان:",
                forgot_all: "تم: نسيت كل ما أخبرتني به.",
                team_notes: "قد يحتفظ الفريق أيضًا بملاحظات عن محادثاتك؛ اطلبها منهم إن أردت رؤيتها أو حذفها.",
            },
            _ => Phrases {
                recall: "Here is what I remember about you:",
                name: "Your name",
                how_to_forget: "Say “forget that” to remove the last one, or “forget everything”.",
                nothing: "I don't remember anything about you.",
                forgot_one: "Forgotten:",
                forgot_all: "Done: I have forgotten everything you told me.",
                team_notes: "The team may also keep notes on your conversations; ask them if you want to see or remove those.",
            },
        }
    }
}

/// `norm` with `phrase` (whole words) taken out, if it holds it.
fn without(norm: &str, phrase: &str) -> Option<String> {
    let padded = format!(" {norm} ");
    let needle = format!(" {phrase} ");
    padded.find(&needle).map(|i| {
        let mut rest = padded.clone();
        rest.replace_range(i..i + needle.len(), " ");
        rest.trim().to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_told_from_questions() {
        for told in [
            "I use the Pro plan",
            "Hi, my order number is ZQ-88417",
            "My name is Ana. Can I change my delivery address?",
            "J'utilise le forfait Pro",
            "Ich wohne in Berlin.",
            "Me llamo Lucía",
            "اسمي سارة",
        ] {
            assert!(states_fact(told), "{told}");
        }
        for asked in [
            "Can I use the app offline?",
            "What is my order number?",
            "How do I change my name?",
            "Where is the shop in Lyon?",
            "Puis-je utiliser l'application hors ligne ?",
            "i usually pay by card",
        ] {
            assert!(!states_fact(asked), "{asked}");
        }
    }

    #[test]
    fn requests_are_recognised_and_questions_are_not() {
        for (text, want) in [
            ("What do you remember about me?", Some(Ask::Recall)),
            ("Hey, what do you know about me?", Some(Ask::Recall)),
            ("Qu'est-ce que tu sais de moi ?", Some(Ask::Recall)),
            ("¿Qué recuerdas de mí?", Some(Ask::Recall)),
            ("Was weißt du über mich?", Some(Ask::Recall)),
            ("ماذا تتذكر عني؟", Some(Ask::Recall)),
            ("Forget that.", Some(Ask::ForgetLast)),
            ("Please forget that", Some(Ask::ForgetLast)),
            ("Can you forget it please?", Some(Ask::ForgetLast)),
            ("Oublie ça", Some(Ask::ForgetLast)),
            ("Vergiss das bitte", Some(Ask::ForgetLast)),
            ("Forget everything about me", Some(Ask::ForgetAll)),
            ("olvida todo", Some(Ask::ForgetAll)),
            ("انس كل شيء", Some(Ask::ForgetAll)),
            ("How do I make the app forget my card?", None),
            ("forget that, how do I reset my password?", None),
            ("I forgot my password", None),
            ("What do you remember about the refund policy?", None),
        ] {
            assert_eq!(detect(text), want, "{text}");
        }
    }

    fn memory(id: &str, content: &str, source: &str) -> Remembered {
        Remembered {
            id: id.into(),
            content: content.into(),
            source: source.into(),
        }
    }

    #[test]
    fn what_is_shown_and_forgotten_is_what_the_visitor_told() {
        let known = Known {
            name: Some("Ann".into()),
            memories: vec![
                memory("m3", "Order number is *A-1*", "assistant"),
                memory("m2", "Angry last time", "member"),
                memory("m1", "Uses the Pro plan", "visitor"),
            ],
            earlier: Vec::new(),
        };
        let (text, change) = answer(Ask::Recall, &known, "en");
        assert!(text.contains("- Your name: Ann"), "{text}");
        assert!(text.contains("- Order number is  A-1"), "{text}");
        assert!(text.contains("- Uses the Pro plan"), "{text}");
        assert!(!text.contains("Angry"), "members' notes are not shown: {text}");
        assert!(text.contains("The team may also keep notes"), "{text}");
        assert!(change.is_empty());

        let (text, change) = answer(Ask::ForgetLast, &known, "en");
        assert_eq!(change.forget, ["m3"]);
        assert!(text.starts_with("Forgotten: “Order number"), "{text}");

        let (_, change) = answer(Ask::ForgetAll, &known, "fr");
        assert!(change.forget_all && change.forget.is_empty());

        let (text, change) = answer(Ask::ForgetLast, &Known::default(), "en");
        assert_eq!(text, "I don't remember anything about you.");
        assert!(change.is_empty());
    }
}
